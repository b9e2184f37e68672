// Package basicauth guards herd's HTTP servers (the web UI and the
// --metrics-port server) with HTTP basic auth, the same way for both.
package basicauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
)

// Require asks for HTTP basic auth ("user:password") on every request when
// auth is set, and returns next unchanged when it is empty. Both sides are
// hashed before the constant-time compare, so that neither the content
// nor the length of the secret leaks.
func Require(auth string, next http.Handler) http.Handler {
	if auth == "" {
		return next
	}
	user, pass, _ := strings.Cut(auth, ":")
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			h := w.Header()
			h.Set("WWW-Authenticate", `Basic realm="herd", charset="UTF-8"`)
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "401 unauthorized\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}
