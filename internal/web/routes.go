package web

import (
	"net/http"

	"github.com/herdload/herd/internal/basicauth"
)

// routes builds the whole handler: security headers, then the Host check
// (without auth), then basic auth, then cross-origin protection of unsafe
// methods, then the base path, then the routes of docs/web-api.md and the
// UI's files, beside the test's own routes (extension.go).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Locust's routes (routes_locust.go, swarm.go).
	mux.HandleFunc("POST /swarm", s.handleSwarm)
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /stop", s.getOrPost(s.refuseCrossSite(s.handleStop)))
		mux.HandleFunc(m+" /stats/reset", s.getOrPost(s.refuseCrossSite(s.handleReset)))
	}
	mux.HandleFunc("GET /stats/requests", s.handleRequests)
	mux.HandleFunc("GET /stats/requests/csv", s.handleRequestsCSV)
	mux.HandleFunc("GET /stats/failures/csv", s.handleFailuresCSV)
	mux.HandleFunc("GET /stats/requests_full_history/csv", s.handleFullHistoryCSV)
	mux.HandleFunc("GET /exceptions", s.handleExceptions)
	mux.HandleFunc("GET /exceptions/csv", s.handleExceptionsCSV)
	mux.HandleFunc("GET /stats/report", s.handleReport)
	mux.HandleFunc("GET /tasks", s.handleTasks)

	// herd's routes (routes_api.go, thresholds.go, sse.go).
	mux.HandleFunc("GET /api/state", s.handleState)
	mux.HandleFunc("GET /api/stats", s.handleStats)
	mux.HandleFunc("GET /api/history", s.handleHistory)
	mux.HandleFunc("GET /api/thresholds", s.handleThresholds) // thresholds.go
	mux.HandleFunc("GET /api/events", s.handleEvents)
	mux.HandleFunc("POST /api/view", s.handleView) // routes_api.go
	mux.HandleFunc("GET /api/report.json", s.handleReportJSON)
	mux.HandleFunc("GET /stats/history/csv", s.handleHistoryCSV)
	if s.opts.Metrics != nil {
		mux.Handle("GET /metrics", s.opts.Metrics) // Prometheus (internal/metrics)
	}

	// The UI: index.html at the root, its files by path, 404 otherwise.
	mux.HandleFunc("GET /{path...}", func(w http.ResponseWriter, r *http.Request) {
		s.assets.serve(w, r, r.PathValue("path"))
	})

	var h http.Handler = withExtension(s.opts.Extension, mux) // extension.go
	h = underBasePath(s.opts.BasePath, h)
	h = s.cop.Handler(h)
	h = basicauth.Require(s.opts.Auth, h)
	if s.opts.Auth == "" {
		h = checkHost(s.hosts, s.refusals, h)
	}
	return securityHeaders(h)
}

// getOrPost admits GET and POST (Locust's /stop and /stats/reset take
// either) and answers 405 to HEAD, which a "GET" pattern also matches: a
// HEAD must not stop a test.
func (s *Server) getOrPost(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			writeText(w, http.StatusMethodNotAllowed, "405 method not allowed\n")
			return
		}
		next(w, r)
	}
}
