package web

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// rawRequest sends a request line as written, which no client would clean
// ("/herd/./api/state"), and returns the answer's status and Location. The
// body is not read: an event stream's would not end (closing the
// connection drops it).
func rawRequest(t *testing.T, ts *httptest.Server, method, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", method, target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestRedirectsKeepBasePath: every redirect under --web-base-path points
// under it, the base path's own and those of ServeMux's path cleaning,
// which only sees the path without the prefix; the query and, with 307, the
// method are kept.
func TestRedirectsKeepBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, method, target string
		status               int
		location             string
	}{
		{"/herd", "GET", "/herd", http.StatusFound, "/herd/"},
		{"/herd", "GET", "/herd?x=1", http.StatusFound, "/herd/?x=1"},
		{"/herd", "GET", "/herd//", http.StatusTemporaryRedirect, "/herd/"},
		{"/herd", "GET", "/herd//api/state", http.StatusTemporaryRedirect, "/herd/api/state"},
		{"/herd", "GET", "/herd/./api/state", http.StatusTemporaryRedirect, "/herd/api/state"},
		{"/herd", "GET", "/herd/a/../api/state", http.StatusTemporaryRedirect, "/herd/api/state"},
		{"/herd", "GET", "/herd/api//events?x=1", http.StatusTemporaryRedirect, "/herd/api/events?x=1"},
		{"/herd", "POST", "/herd//swarm", http.StatusTemporaryRedirect, "/herd/swarm"},
		// Above the base path: cleaned within it, never out of it.
		{"/herd", "GET", "/herd/..", http.StatusTemporaryRedirect, "/herd/"},
		{"/herd", "GET", "/herd/../../x", http.StatusTemporaryRedirect, "/herd/x"},
		{"/a/b", "GET", "/a/b//stats/requests", http.StatusTemporaryRedirect, "/a/b/stats/requests"},
		{"/herd", "GET", "/herd/api/state", http.StatusOK, ""},
		{"/herd", "GET", "/herd/", http.StatusOK, ""},
		// Without a base path ServeMux's own answers stand.
		{"", "GET", "/a/../api/state", http.StatusTemporaryRedirect, "/api/state"},
		{"", "GET", "//api/state", http.StatusTemporaryRedirect, "/api/state"},
	}
	servers := map[string]*httptest.Server{}
	for _, tt := range tests {
		ts := servers[tt.base]
		if ts == nil {
			_, ts = newTestServer(t, Options{BasePath: tt.base}, newFake())
			servers[tt.base] = ts
		}
		status, loc := rawRequest(t, ts, tt.method, tt.target)
		if status != tt.status || loc != tt.location {
			t.Errorf("base %q: %s %s = %d %q, want %d %q", tt.base, tt.method, tt.target, status, loc, tt.status, tt.location)
		}
		// The target is where the route is: no second redirect.
		if loc != "" && status == http.StatusTemporaryRedirect {
			if status, again := rawRequest(t, ts, tt.method, loc); status >= 300 && status < 400 {
				t.Errorf("base %q: following %s gave %d to %q", tt.base, loc, status, again)
			}
		}
	}
}

// TestBaseRedirectsLocation: a handler's redirect to a path gets the base
// path in front, even "//host" (which would leave the server); absolute
// URLs and non-redirects are left alone.
func TestBaseRedirectsLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   int
		location string
		want     string
	}{
		{http.StatusFound, "/x?y=1", "/herd/x?y=1"},
		{http.StatusMovedPermanently, "//evil.example/", "/herd//evil.example/"},
		{http.StatusSeeOther, "https://elsewhere.example/", "https://elsewhere.example/"},
		{http.StatusCreated, "/items/1", "/items/1"},
	}
	for _, tt := range tests {
		h := underBasePath("/herd", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", tt.location)
			w.WriteHeader(tt.status)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/herd/go", nil))
		if got := rec.Header().Get("Location"); rec.Code != tt.status || got != tt.want {
			t.Errorf("%d %q: got %d %q, want %q", tt.status, tt.location, rec.Code, got, tt.want)
		}
	}
}

// TestEventsUnderBasePath: the event stream is flushed through the base
// path's writer.
func TestEventsUnderBasePath(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{BasePath: "/herd", PushEvery: 10 * time.Millisecond}, newFake())
	resp, br, _ := openEvents(t, ts.URL+"/herd")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if up := nextUpdate(t, br); up["state"] == nil {
		t.Errorf("update without state: %v", up)
	}
}
