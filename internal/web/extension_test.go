package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestCheckExtension: routes that would shadow herd's routes or the UI's
// files, or be shadowed by them, are refused, as are paths that are not
// plain clean paths and tabs that show no route's page.
func TestCheckExtension(t *testing.T) {
	t.Parallel()
	ok := http.NotFoundHandler()
	tests := []struct {
		name string
		ext  Extension
		want string // a part of the error, "" for none
	}{
		{"none", Extension{}, ""},
		{"page and subtree", Extension{Routes: []Route{{"/content-length", ok}, {"/extend/", ok}},
			Tabs: []Tab{{"Content Length", "/extend/"}, {"CSV", "/content-length"}}}, ""},
		{"tab under a subtree", Extension{Routes: []Route{{"/extend/", ok}}, Tabs: []Tab{{"X", "/extend/page.html"}}}, ""},
		{"tab of the subtree's bare path", Extension{Routes: []Route{{"/extend/", ok}}, Tabs: []Tab{{"X", "/extend"}}}, ""},
		{"root", Extension{Routes: []Route{{"/", ok}}}, `would shadow herd's "/"`},
		{"api subtree", Extension{Routes: []Route{{"/api/", ok}}}, `would shadow`},
		{"api path", Extension{Routes: []Route{{"/api/mine", ok}}}, `would shadow herd's "/api/"`},
		{"api bare", Extension{Routes: []Route{{"/api", ok}}}, `would shadow`},
		{"stats path", Extension{Routes: []Route{{"/stats/content-length", ok}}}, `would shadow`},
		{"swarm", Extension{Routes: []Route{{"/swarm", ok}}}, `would shadow herd's "/swarm"`},
		{"stop subtree", Extension{Routes: []Route{{"/stop/", ok}}}, `would shadow`},
		{"metrics", Extension{Routes: []Route{{"/metrics", ok}}}, `would shadow`},
		{"exceptions csv", Extension{Routes: []Route{{"/exceptions/", ok}}}, `would shadow`},
		{"ui file", Extension{Routes: []Route{{"/favicon.svg", ok}}}, `would shadow herd's "/favicon.svg"`},
		{"ui folder", Extension{Routes: []Route{{"/assets/", ok}}}, `would shadow`},
		{"index", Extension{Routes: []Route{{"/index.html", ok}}}, `would shadow`},
		{"relative", Extension{Routes: []Route{{"extend", ok}}}, `does not start with /`},
		{"unclean", Extension{Routes: []Route{{"/a/../extend", ok}}}, `not a clean path`},
		{"double slash", Extension{Routes: []Route{{"/a//b", ok}}}, `not a clean path`},
		{"pattern", Extension{Routes: []Route{{"/x/{id}", ok}}}, `plain path`},
		{"method", Extension{Routes: []Route{{"GET /x", ok}}}, `does not start with /`},
		{"query", Extension{Routes: []Route{{"/x?a=1", ok}}}, `plain path`},
		{"twice", Extension{Routes: []Route{{"/x", ok}, {"/x", ok}}}, `given twice`},
		{"nil handler", Extension{Routes: []Route{{"/x", nil}}}, `no handler`},
		{"tab of nothing", Extension{Routes: []Route{{"/x", ok}}, Tabs: []Tab{{"Y", "/y"}}}, `which no route of the test's serves`},
		{"tab of herd's", Extension{Routes: []Route{{"/x", ok}}, Tabs: []Tab{{"API", "/api/state"}}}, `no route`},
		{"tab of a URL", Extension{Routes: []Route{{"/x", ok}}, Tabs: []Tab{{"Out", "https://example.com/x"}}}, `no route`},
		{"tab without title", Extension{Routes: []Route{{"/x", ok}}, Tabs: []Tab{{" ", "/x"}}}, `no title`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkExtension(tt.ext, testAssets())
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q, want one with %q", err, tt.want)
			}
		})
	}
}

// TestExtensionStartFails: a server with a shadowing route does not start,
// and serves nothing of the extension meanwhile.
func TestExtensionStartFails(t *testing.T) {
	t.Parallel()
	s := New(Options{Addr: "127.0.0.1:0", Assets: testAssets(), Extension: Extension{
		Routes: []Route{{"/api/state", http.NotFoundHandler()}},
	}}, newFake())
	defer s.Close(context.Background())
	if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "would shadow") {
		t.Fatalf("Start: %v, want a refusal", err)
	}
}

// TestExtensionRoutes: the test's routes answer under the base path behind
// the same auth and cross-origin protection as herd's, may be framed by the
// UI (and only by it), leave herd's routes alone, and the tabs reach the UI
// in /api/state with URLs relative to its root.
func TestExtensionRoutes(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("page " + r.Method + " " + r.URL.Path))
	})
	_, ts := newTestServer(t, Options{BasePath: "/herd", Auth: "u:p", Extension: Extension{
		Routes: []Route{{"/content-length", page}, {"/extend/", page}},
		Tabs:   []Tab{{"Content Length", "/extend/"}},
	}}, newFake())
	auth := http.Header{"Authorization": {"Basic dTpw"}}

	for _, tt := range []struct {
		method, path string
		header       http.Header
		status       int
		body         string
	}{
		{"GET", "/herd/content-length", auth, 200, "page GET /content-length"},
		{"GET", "/herd/extend/", auth, 200, "page GET /extend/"},
		{"GET", "/herd/extend/static/app.js", auth, 200, "page GET /extend/static/app.js"},
		{"POST", "/herd/content-length", auth, 200, "page POST /content-length"},
		{"GET", "/herd/extend", auth, http.StatusTemporaryRedirect, ""}, // to /herd/extend/, as ServeMux does
		{"GET", "/content-length", auth, 404, ""},                       // outside the base path
		{"GET", "/herd/content-length", nil, 401, ""},                   // without auth
		{"GET", "/herd/content-length/x", auth, 404, ""},                // not a subtree: herd's 404
		{"GET", "/herd/api/state", auth, 200, `"tabs":[{"title":"Content Length","url":"extend/"}]`},
		{"POST", "/herd/content-length", http.Header{"Authorization": {"Basic dTpw"}, "Sec-Fetch-Site": {"cross-site"}}, 403, ""},
	} {
		resp, body := do(t, ts, tt.method, tt.path, nil, tt.header)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("%s %s: %d %q, want %d with %q", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
		framed := strings.HasPrefix(tt.path, "/herd/content-length") || strings.HasPrefix(tt.path, "/herd/extend")
		xfo, csp := resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy")
		switch {
		case resp.StatusCode == 401 || resp.StatusCode == 403 || !framed:
			if xfo != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s %s: X-Frame-Options %q, CSP %q: herd's own answers are never framed", tt.method, tt.path, xfo, csp)
			}
		case resp.StatusCode == 200:
			if xfo != "SAMEORIGIN" || !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("%s %s: X-Frame-Options %q, CSP %q: want framing by the UI alone", tt.method, tt.path, xfo, csp)
			}
		}
	}
}

// TestNoExtensionNoTabs: /api/state has no tabs key without an extension,
// so its shape is unchanged.
func TestNoExtensionNoTabs(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	if _, body := get(t, ts, "/api/state"); strings.Contains(body, `"tabs"`) {
		t.Fatalf("/api/state: %s", body)
	}
}
