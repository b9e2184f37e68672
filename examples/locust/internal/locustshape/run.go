package locustshape

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/herdload/herd"
)

// RunShape runs test headless for 2 s against a local target that answers
// every request with a short page, and checks the users running at the
// end (the shape's count by then) and the statistics' names ("GET /").
func RunShape(t *testing.T, test *herd.Test, users int, names map[string]bool) herd.Result {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>ok</html>"))
	}))
	defer srv.Close()
	// -s: requests in flight at the end finish (killed, they would count
	// as interrupted).
	res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-t", "2s", "-s", "5s", "-H", srv.URL}})
	if err != nil || res.ExitCode != herd.ExitOK {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if res.Stats.Users != users {
		t.Errorf("%d users at the end, want the shape's %d", res.Stats.Users, users)
	}
	got := map[string]bool{}
	for _, e := range res.Stats.Entries {
		got[e.Method+" "+e.Name] = true
		if e.Requests == 0 {
			t.Errorf("%s %s: no request", e.Method, e.Name)
		}
	}
	for n := range names {
		if !got[n] {
			t.Errorf("no %q in the statistics (%v)", n, got)
		}
	}
	if len(got) != len(names) {
		t.Errorf("statistics names %v, want %v", got, names)
	}
	return res
}
