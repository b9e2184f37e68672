package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	tests := []struct {
		path, contentType, cache, bodyPrefix string
	}{
		{"/", "text/html", "no-cache", "<!doctype html>"},
		{"/index.html", "text/html", "no-cache", "<!doctype html>"},
		{"/assets/index-BdC3x9aZ.js", "text/javascript", "public, max-age=31536000, immutable", "console.log"},
		{"/assets/index-7f3a9c1e.css", "text/css", "public, max-age=31536000, immutable", "body{}"},
		{"/favicon.svg", "image/svg+xml", "no-cache", "<svg"},
	}
	for _, tt := range tests {
		resp, body := get(t, ts, tt.path)
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
			t.Errorf("%s: Content-Type %q, want %s", tt.path, ct, tt.contentType)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != tt.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tt.path, cc, tt.cache)
		}
		if !strings.HasPrefix(body, tt.bodyPrefix) {
			t.Errorf("%s: body %q", tt.path, body)
		}
	}

	// Revalidation: the ETag answers 304.
	resp, _ := get(t, ts, "/")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	resp, _ = do(t, ts, http.MethodGet, "/", nil, http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
}

func TestNoAssets(t *testing.T) {
	t.Parallel()
	s := New(Options{}, newFake())
	defer s.Close(t.Context())
	for _, path := range []string{"/", "/index.html"} {
		r, _ := http.NewRequest(http.MethodGet, path, nil)
		w := newRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s without assets = %d, want 404", path, w.Code)
		}
	}
}

func TestHashedName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"assets/index-BdC3x9aZ.js":  true, // Vite
		"assets/index-7f3a9c1e.css": true, // hex
		"app.3f9a2b1c.js":           true, // webpack
		"chunk-5e1f0a2b9c_d.mjs":    true,
		"index.html":                false,
		"favicon.svg":               false,
		"bootstrap-datepicker.js":   false, // a word, not a hash
		"logo-1234567.png":          false, // 7 characters
		"assets/x-ABCDEFGH.js":      false, // one case, no digit
		"-BdC3x9aZ.js":              false,
		"assets/index-BdC3x9aZ":     false, // no extension
		"assets/vendor-Bd$3x9aZ.js": false,
		"assets/index-" + strings.Repeat("a1", 33) + ".js": false, // too long
	}
	for name, want := range tests {
		if got := hashedName(name); got != want {
			t.Errorf("hashedName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{BasePath: "/herd/"}, fake) // the trailing slash is tidied

	resp, body := get(t, ts, "/herd")
	wantStatus(t, resp, body, http.StatusFound)
	if loc := resp.Header.Get("Location"); loc != "/herd/" {
		t.Errorf("Location %q, want /herd/", loc)
	}
	resp, _ = get(t, ts, "/herd?tab=charts")
	if loc := resp.Header.Get("Location"); loc != "/herd/?tab=charts" {
		t.Errorf("Location %q keeps no query", loc)
	}

	ok := []string{"/herd/", "/herd/index.html", "/herd/assets/index-BdC3x9aZ.js", "/herd/stats/requests",
		"/herd/exceptions", "/herd/tasks", "/herd/api/state", "/herd/api/stats", "/herd/api/history",
		"/herd/stats/requests/csv", "/herd/api/report.json", "/herd/stats/history/csv", "/herd/stop", "/herd/stats/reset"}
	for _, path := range ok {
		resp, body := get(t, ts, path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d: %s", path, resp.StatusCode, body)
		}
	}
	resp, body = postForm(t, ts, "/herd/swarm", "user_count=1&spawn_rate=1")
	wantStatus(t, resp, body, http.StatusOK)

	notFound := []string{"/", "/index.html", "/stats/requests", "/api/state", "/stop", "/herdx", "/herdx/api/state",
		"/assets/index-BdC3x9aZ.js", "/herd/herd/api/state"}
	for _, path := range notFound {
		resp, _ := get(t, ts, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	resp, _ = postForm(t, ts, "/swarm", "user_count=1&spawn_rate=1")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /swarm outside the base path = %d", resp.StatusCode)
	}
	if swarms, stops, resets := fake.calls(); swarms != 1 || stops != 1 || resets != 1 {
		t.Errorf("calls = %d, %d, %d; want one each, under the base path only", swarms, stops, resets)
	}
}

// TestServesEmbeddedUI serves the real build under a base path: the page
// and every file it references load.
func TestServesEmbeddedUI(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{Assets: Assets(), BasePath: "/herd"}, newFake())
	resp, body := get(t, ts, "/herd/")
	wantStatus(t, resp, body, http.StatusOK)
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		resp, body := get(t, ts, "/herd/"+ref)
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: %d", ref, resp.StatusCode)
		}
	}
}
