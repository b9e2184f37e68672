package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Extension is what a test adds to the UI (Locust's Flask blueprints):
// handlers under paths of its own, and tabs beside herd's that show one of
// its pages in a frame. Its requests pass through the same security
// headers, Host check, basic auth, cross-origin protection and base path as
// herd's routes.
type Extension struct {
	Routes []Route
	Tabs   []Tab
}

// Route is a handler of an Extension at a path of the UI, relative to its
// root (the base path goes in front): "/content-length" is that path alone,
// "/extend/" that path and every path under it, as in http.ServeMux. A
// handler sees the path without the base path, as herd's routes do.
type Route struct {
	Path    string
	Handler http.Handler
}

// Tab is a tab of an Extension: its label, and the path of the page it
// shows (one that a Route serves).
type Tab struct {
	Title string
	Path  string
}

// tabDoc is one tab in /api/state: the page's URL relative to the UI's
// root, so the base path applies.
type tabDoc struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// herdPaths are the paths herd serves or keeps for itself, as patterns
// (a trailing slash: the subtree), except "/", which is the index page
// alone. An extension may not cover one nor be covered by one: it would
// shadow herd, or herd it.
var herdPaths = []string{
	"/", "/swarm", "/stop", "/exceptions", "/exceptions/csv", "/tasks", "/metrics",
	"/api/", "/stats/",
}

// covers reports whether the ServeMux-style pattern serves p: the same
// path, or for a subtree pattern ("/x/") a path under it or "/x" itself
// (which ServeMux redirects to "/x/").
func covers(pattern, p string) bool {
	if !strings.HasSuffix(pattern, "/") {
		return pattern == p
	}
	return strings.HasPrefix(p, pattern) || p == strings.TrimSuffix(pattern, "/")
}

// validRoutePath reports why p cannot be a route's path: it must be a
// clean absolute path without wildcards, methods or hosts.
func validRoutePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return errors.New("does not start with /")
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return fmt.Errorf("is not a clean path (%s)", clean)
	}
	if i := strings.IndexAny(p, "{}?#% \t\r\n"); i >= 0 {
		return fmt.Errorf("holds %q: a route is a plain path, no pattern or query", p[i])
	}
	return nil
}

// checkExtension reports every route and tab of ext that cannot be served
// beside herd's routes and the UI's files (assets, possibly nil).
func checkExtension(ext Extension, assets fs.FS) error {
	reserved := append([]string(nil), herdPaths...)
	if assets != nil {
		fs.WalkDir(assets, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				reserved = append(reserved, "/"+name)
			}
			return nil
		})
	}
	var errs []error
	seen := make(map[string]bool, len(ext.Routes))
	for _, r := range ext.Routes {
		if err := validRoutePath(r.Path); err != nil {
			errs = append(errs, fmt.Errorf("web UI route %q %w", r.Path, err))
			continue
		}
		if r.Handler == nil {
			errs = append(errs, fmt.Errorf("web UI route %q has no handler", r.Path))
		}
		if seen[r.Path] {
			errs = append(errs, fmt.Errorf("web UI route %q is given twice", r.Path))
		}
		seen[r.Path] = true
		for _, h := range reserved {
			if covers(r.Path, h) || (h != "/" && covers(h, r.Path)) {
				errs = append(errs, fmt.Errorf("web UI route %q would shadow herd's %q (herd keeps /, /swarm, /stop, /tasks, /metrics, /exceptions, /api/…, /stats/… and the UI's files)", r.Path, h))
				break
			}
		}
	}
	for _, t := range ext.Tabs {
		if strings.TrimSpace(t.Title) == "" {
			errs = append(errs, fmt.Errorf("web UI tab for %q has no title", t.Path))
		}
		if !extensionServes(ext, t.Path) {
			errs = append(errs, fmt.Errorf("web UI tab %q shows %q, which no route of the test's serves", t.Title, t.Path))
		}
	}
	return errors.Join(errs...)
}

// extensionServes reports whether one of ext's routes serves p.
func extensionServes(ext Extension, p string) bool {
	if validRoutePath(p) != nil {
		return false
	}
	for _, r := range ext.Routes {
		if covers(r.Path, p) {
			return true
		}
	}
	return false
}

// tabDocs are ext's tabs for /api/state.
func tabDocs(ext Extension) []tabDoc {
	var docs []tabDoc
	for _, t := range ext.Tabs {
		docs = append(docs, tabDoc{Title: t.Title, URL: strings.TrimPrefix(t.Path, "/")})
	}
	return docs
}

// extensionFrameCSP is the Content-Security-Policy of an extension's
// responses: the UI's, except that herd's own page may show them in a frame.
var extensionFrameCSP = strings.Replace(uiCSP, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)

// withExtension serves the paths of ext's routes with their handlers and
// every other path with herd's. The routes have a mux of their own: in
// herd's, "/extend/" would conflict with "GET /{path...}" (neither is more
// specific), which ServeMux refuses.
func withExtension(ext Extension, herd http.Handler) http.Handler {
	if len(ext.Routes) == 0 {
		return herd
	}
	mux := http.NewServeMux()
	for _, r := range ext.Routes {
		mux.Handle(r.Path, r.Handler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, route := range ext.Routes {
			if covers(route.Path, r.URL.Path) {
				h := w.Header()
				h.Set("X-Frame-Options", "SAMEORIGIN")
				h.Set("Content-Security-Policy", extensionFrameCSP)
				mux.ServeHTTP(w, r)
				return
			}
		}
		herd.ServeHTTP(w, r)
	})
}
