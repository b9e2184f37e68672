package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestSecurityHeadersEverywhere(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{Auth: "admin:s3cret"}, newFake())
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	}
	check := func(what string, resp *http.Response) {
		t.Helper()
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", what, k, got, v)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q", what, csp)
		}
	}
	// Refused (401), missing (404) and served answers all carry them.
	resp, _ := get(t, ts, "/")
	check("401", resp)
	auth := http.Header{"Authorization": {basic("admin", "s3cret")}}
	for _, path := range []string{"/", "/nope", "/stats/requests", "/assets/index-BdC3x9aZ.js", "/stats/requests/csv"} {
		resp, _ := do(t, ts, http.MethodGet, path, nil, auth)
		check(path, resp)
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{Auth: "admin:pa:ss"}, fake)
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"wrong password", http.Header{"Authorization": {basic("admin", "nope")}}, http.StatusUnauthorized},
		{"wrong user", http.Header{"Authorization": {basic("root", "pa:ss")}}, http.StatusUnauthorized},
		{"password prefix", http.Header{"Authorization": {basic("admin", "pa")}}, http.StatusUnauthorized},
		{"not basic", http.Header{"Authorization": {"Bearer pa:ss"}}, http.StatusUnauthorized},
		{"right", http.Header{"Authorization": {basic("admin", "pa:ss")}}, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/", "/stats/requests", "/api/state", "/stop", "/assets/index-BdC3x9aZ.js", "/api/events?x"} {
			if tt.want == http.StatusOK && path == "/api/events?x" {
				continue // a stream; TestEventsNeedAuth
			}
			resp, body := do(t, ts, http.MethodGet, path, nil, tt.header)
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.name, path, resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="herd"`) {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if strings.Contains(body, "herd</title>") {
					t.Errorf("%s %s: content leaked without auth", tt.name, path)
				}
			}
		}
	}
	// Only the authorized /stop reached the controller.
	if _, stops, _ := fake.calls(); stops != 1 {
		t.Errorf("stops = %d, want 1", stops)
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	t.Parallel()
	form := "user_count=1&spawn_rate=1"
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
	}{
		{"POST swarm cross-site", "POST", "/swarm", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"POST swarm same-site", "POST", "/swarm", http.Header{"Sec-Fetch-Site": {"same-site"}}},
		{"POST swarm foreign origin", "POST", "/swarm", http.Header{"Origin": {"https://evil.example"}}},
		{"GET stop cross-site", "GET", "/stop", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"GET stop foreign origin", "GET", "/stop", http.Header{"Origin": {"https://evil.example"}}},
		{"POST stop cross-site", "POST", "/stop", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"GET reset cross-site", "GET", "/stats/reset", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"POST reset foreign origin", "POST", "/stats/reset", http.Header{"Origin": {"http://127.0.0.1:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			_, ts := newTestServer(t, Options{}, fake)
			tt.header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := do(t, ts, tt.method, tt.path, strings.NewReader(form), tt.header)
			wantStatus(t, resp, body, http.StatusForbidden)
			wantJSON(t, resp)
			if doc := decode[map[string]any](t, body); doc["success"] != false {
				t.Errorf("body %s", body)
			}
			if swarms, stops, resets := fake.calls(); swarms+stops+resets != 0 {
				t.Errorf("controller was called: %d swarms, %d stops, %d resets", swarms, stops, resets)
			}
		})
	}
}

func TestSameOriginAndScriptRequestsAllowed(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	headers := []http.Header{
		{},                                  // curl and scripts send neither header
		{"Sec-Fetch-Site": {"same-origin"}}, // the UI
		{"Sec-Fetch-Site": {"none"}},        // typed into the address bar
		{"Origin": {ts.URL}},                // an older browser, same origin
	}
	for i, h := range headers {
		for _, rt := range []struct{ method, path string }{{"POST", "/swarm"}, {"GET", "/stop"}, {"POST", "/stop"}, {"GET", "/stats/reset"}, {"POST", "/stats/reset"}} {
			hh := h.Clone()
			hh.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body := do(t, ts, rt.method, rt.path, strings.NewReader("user_count=1&spawn_rate=1"), hh)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("headers #%d %v: %s %s = %d: %s", i, h, rt.method, rt.path, resp.StatusCode, body)
			}
		}
	}
	if swarms, stops, resets := fake.calls(); swarms != 4 || stops != 8 || resets != 8 {
		t.Errorf("calls = %d swarms, %d stops, %d resets; want 4, 8, 8", swarms, stops, resets)
	}
	// Reading is never refused, even cross-site (the browser's same-origin
	// policy keeps the answer from the foreign page).
	resp, _ := do(t, ts, "GET", "/stats/requests", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("cross-site GET /stats/requests = %d", resp.StatusCode)
	}
}

// TestNamesAreEscaped checks that endpoint names and error messages never
// come back as markup.
func TestNamesAreEscaped(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())

	_, body := get(t, ts, "/stats/requests")
	doc := decode[map[string]any](t, body)
	row := doc["stats"].([]any)[1].(map[string]any)
	if row["name"] != xssName {
		t.Errorf("name = %q, want the raw name", row["name"])
	}
	if row["safe_name"] != "&lt;img src=x onerror=alert(1)&gt;" {
		t.Errorf("safe_name = %q", row["safe_name"])
	}
	failure := doc["errors"].([]any)[1].(map[string]any)
	if failure["name"] != "&lt;img src=x onerror=alert(1)&gt;" {
		t.Errorf("errors[1].name = %q", failure["name"])
	}

	for _, path := range []string{"/stats/requests", "/exceptions", "/api/stats", "/api/history"} {
		resp, body := get(t, ts, path)
		wantJSON(t, resp)
		if strings.ContainsAny(body, "<>") {
			t.Errorf("%s: raw < or > in the body: %s", path, body)
		}
	}
	_, body = get(t, ts, "/exceptions")
	if !strings.Contains(body, "panic: \\u0026lt;script\\u0026gt;") {
		t.Errorf("/exceptions msg not escaped: %s", body)
	}
}
