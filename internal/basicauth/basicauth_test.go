package basicauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name, auth, user, pass string
		send                   bool
		want                   int
	}{
		{name: "no auth set", auth: "", want: http.StatusNoContent},
		{name: "right", auth: "ann:s3cret", user: "ann", pass: "s3cret", send: true, want: http.StatusNoContent},
		{name: "password empty and right", auth: "ann:", user: "ann", pass: "", send: true, want: http.StatusNoContent},
		{name: "none sent", auth: "ann:s3cret", want: http.StatusUnauthorized},
		{name: "wrong password", auth: "ann:s3cret", user: "ann", pass: "s3cre", send: true, want: http.StatusUnauthorized},
		{name: "wrong user", auth: "ann:s3cret", user: "bob", pass: "s3cret", send: true, want: http.StatusUnauthorized},
		{name: "colon in the password", auth: "ann:a:b", user: "ann", pass: "a:b", send: true, want: http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tc.send {
				r.SetBasicAuth(tc.user, tc.pass)
			}
			w := httptest.NewRecorder()
			Require(tc.auth, ok).ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == http.StatusUnauthorized {
				if w.Header().Get("WWW-Authenticate") == "" || w.Body.String() != "401 unauthorized\n" {
					t.Errorf("refusal: header %q, body %q", w.Header().Get("WWW-Authenticate"), w.Body.String())
				}
			}
		})
	}
}
