package web

import (
	"net/http"
)

// Content-Security-Policy of every response: the UI loads only its own
// scripts, styles, images (and data: images, e.g. inline SVG icons) and
// talks only to its own origin. Inline styles are allowed because chart
// libraries set style attributes; inline scripts are not.
const uiCSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reportCSP is the policy of the self-contained HTML report, whose scripts
// and styles are inline: it may run them but fetch nothing, so even markup
// slipped into it could not reach the API.
const reportCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// hstsValue is the Strict-Transport-Security of a response over TLS: a
// year, this host only (herd's name says nothing of its neighbours').
const hstsValue = "max-age=31536000"

// securityHeaders sets the headers every response carries. A handler may
// replace Content-Security-Policy (the HTML report does).
//
// Over TLS it adds Strict-Transport-Security, except for localhost and IP
// literals: browsers ignore HSTS for IP addresses, and HSTS on localhost
// applies to every port, so it would force HTTPS onto every other
// development server on the machine for a year.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			if host := hostOf(r.Host); !isLocalhost(host) && !isIPLiteral(host) {
				h.Set("Strict-Transport-Security", hstsValue)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// crossSiteMessage is the message of a refused cross-site request.
const crossSiteMessage = "cross-site request refused: state-changing routes only accept requests from the web UI itself or from non-browser clients"

// newCrossOriginProtection refuses cross-site browser requests with a 403
// in Locust's failure shape: a Sec-Fetch-Site other than same-origin or none,
// or else an Origin whose host is not the request's. Requests with neither
// header (curl, scripts) pass.
func (s *Server) newCrossOriginProtection() *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, r, http.StatusForbidden, failure{Message: crossSiteMessage})
	}))
	return cop
}

// refuseCrossSite applies the cross-origin checks to a state-changing route
// whatever its method: http.CrossOriginProtection lets safe methods through,
// but Locust's /stop and /stats/reset change state on GET.
func (s *Server) refuseCrossSite(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		probe := r.WithContext(r.Context()) // a shallow copy
		probe.Method = http.MethodPost
		if err := s.cop.Check(probe); err != nil {
			s.writeJSON(w, r, http.StatusForbidden, failure{Message: crossSiteMessage})
			return
		}
		next(w, r)
	}
}
