package web

import (
	"net/http"
	"strings"
)

// underBasePath serves next under base ("" or "/x"): base redirects to
// base+"/", paths under base+"/" reach next without the prefix, and any
// other path is not found. A redirect next answers keeps the base path:
// next knows only the path without it (ServeMux cleans "/x//api/state" into
// a redirect to "/api/state").
func underBasePath(base string, next http.Handler) http.Handler {
	if base == "" {
		return next
	}
	strip := http.StripPrefix(base, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == base:
			to := base + "/"
			if r.URL.RawQuery != "" {
				to += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, to, http.StatusFound)
		case strings.HasPrefix(r.URL.Path, base+"/"):
			strip.ServeHTTP(&baseRedirects{ResponseWriter: w, base: base}, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// baseRedirects puts base in front of the Location of a redirect whose
// target is a path ("/api/state", or "//x", which would otherwise leave
// the host): every path a handler under base redirects to is relative to
// base. Absolute URLs are left alone.
type baseRedirects struct {
	http.ResponseWriter
	base    string
	decided bool // the final status is written
}

func (w *baseRedirects) WriteHeader(code int) {
	if !w.decided && code >= 200 {
		w.decided = true
		h := w.Header()
		if loc := h.Get("Location"); code >= 300 && code < 400 && strings.HasPrefix(loc, "/") {
			h.Set("Location", w.base+loc)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *baseRedirects) Write(b []byte) (int, error) {
	w.decided = true
	return w.ResponseWriter.Write(b)
}

// FlushError flushes the response (a Server-Sent Events stream); it is
// what http.ResponseController.Flush calls.
func (w *baseRedirects) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for handlers that assert an http.Flusher.
func (w *baseRedirects) Flush() { w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *baseRedirects) Unwrap() http.ResponseWriter { return w.ResponseWriter }
