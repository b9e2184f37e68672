package herd

import (
	"maps"
	"net/http"
	"slices"

	"github.com/herdload/herd/internal/web"
)

// WebUI is what a test adds to herd's web UI, as a locustfile registers a
// Flask blueprint on environment.web_ui.app: handlers at paths of its own,
// and tabs beside herd's that show one of its pages.
//
// Only a process that serves the UI uses it: one on its own, or a master
// (a worker has no UI). The handlers get what herd's routes get: the
// --web-base-path in front of their paths (a handler sees the path without
// it, so a page should link relatively), TLS, --web-auth, the Host check
// and the refusal of cross-site POSTs. A request's context carries the
// run's [Node]: NodeFrom(r.Context()) reads the live statistics, the
// workers and the test's options, and can stop the test.
//
// A page is shown in a frame, under herd's Content-Security-Policy: its
// scripts and styles must be files (no inline <script>), served by the
// test's handlers (embed them with go:embed). A handler may set its own
// Content-Security-Policy header.
type WebUI struct {
	// Handlers serve paths of the UI, relative to its root:
	// "/content-length" serves that path alone, "/extend/" that path and
	// every path under it, as in http.ServeMux (without methods or
	// wildcards). herd's own paths are refused, and the web UI does not
	// start (exit code 2): "/", "/swarm", "/stop", "/tasks", "/metrics",
	// "/exceptions", everything under "/api/" and "/stats/", and the UI's
	// files.
	Handlers map[string]http.Handler
	// Tabs are shown after herd's own tabs, in order.
	Tabs []WebTab
}

// WebTab is a tab of the test's in the web UI.
type WebTab struct {
	// Title is the tab's label.
	Title string
	// Path is the page the tab shows, a path that one of WebUI.Handlers
	// serves ("/extend/").
	Path string
}

// extension is w for the web server, each handler's requests carrying n.
func (w WebUI) extension(n *Node) web.Extension {
	var ext web.Extension
	for _, p := range slices.Sorted(maps.Keys(w.Handlers)) {
		h := w.Handlers[p]
		if h != nil {
			h = withNodeHandler(n, h)
		}
		ext.Routes = append(ext.Routes, web.Route{Path: p, Handler: h})
	}
	for _, t := range w.Tabs {
		ext.Tabs = append(ext.Tabs, web.Tab{Title: t.Title, Path: t.Path})
	}
	return ext
}

// withNodeHandler serves h with n in each request's context.
func withNodeHandler(n *Node, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(withNode(r.Context(), n)))
	})
}
