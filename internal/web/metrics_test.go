package web

import (
	"net/http"
	"testing"
)

// TestMetricsRoute: /metrics serves Options.Metrics under the base path,
// behind basic auth, and is absent without it.
func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte("herd_users 1\n"))
	})
	_, ts := newTestServer(t, Options{BasePath: "/herd", Auth: "u:p", Metrics: metrics}, newFake())
	if resp, _ := do(t, ts, "GET", "/herd/metrics", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %s", resp.Status)
	}
	auth := http.Header{"Authorization": {"Basic dTpw"}} // u:p
	if resp, body := do(t, ts, "GET", "/herd/metrics", nil, auth); resp.StatusCode != 200 || body != "herd_users 1\n" {
		t.Errorf("with credentials: %s %q", resp.Status, body)
	}
	if resp, _ := do(t, ts, "POST", "/herd/metrics", nil, auth); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s", resp.Status)
	}

	_, plain := newTestServer(t, Options{}, newFake())
	if resp, body := do(t, plain, "GET", "/metrics", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without a metrics handler: %s %q", resp.Status, body)
	}
}
