//go:build linux

package herd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/herdload/herd"
)

// A LoopUser declares its requests instead of running tasks: each user
// logs in (the cookie goes to its own jar) and reads its cart, over and
// over, on herd's event loop. A real program hands the test to herd.Main
// and runs it with -u and -t as usual.
func ExampleLoopUser() {
	shop := http.NewServeMux()
	shop.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: r.FormValue("user")})
	})
	shop.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("session"); errors.Is(err, http.ErrNoCookie) {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "[]")
	})
	srv := httptest.NewServer(shop)
	defer srv.Close()

	requests := []herd.LoopRequest{
		{Method: http.MethodPost, URL: "/login", Body: herd.Form(url.Values{"user": {"ann"}})},
		{URL: "/cart", Name: "cart", Status: http.StatusOK},
	}
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Shopper",
		New:  func() herd.User { return &herd.LoopUser{Requests: requests} },
	}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		for _, e := range q.Stats.Entries {
			fmt.Printf("%-4s %-6s sent: %v, failures: %d\n", e.Method, e.Name, e.Requests > 0, e.Failures)
		}
	})
	// A stop timeout lets the request in flight at the end finish (with
	// the default, 0, it would count as interrupted).
	code, err := test.Run(context.Background(), herd.Env{
		Args:   []string{"--headless", "-u", "2", "-t", "1s", "--stop-timeout", "10s", "-H", srv.URL},
		Stdout: io.Discard,
		Stderr: io.Discard,
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("exit code", code)
	// Output:
	// POST /login sent: true, failures: 0
	// GET  cart   sent: true, failures: 0
	// exit code 0
}
