package herd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	"github.com/herdload/herd"
)

// Buyer logs in once, then looks at products and puts them in its cart.
// Embedding herd.HTTPUser gives it Client, a Session with its own cookies
// that times and records every request.
type Buyer struct {
	herd.HTTPUser
	bought int
}

// OnStart logs in: the session keeps the cookie for the later requests.
func (u *Buyer) OnStart(ctx context.Context) error {
	u.Client.Header.Set("Accept", "application/json")
	return u.Client.Post(ctx, "/login", herd.Form(url.Values{"user": {"ann"}})).Err()
}

func (u *Buyer) Tasks() []herd.Task {
	return []herd.Task{{Name: "buy", Run: u.buy}}
}

func (u *Buyer) buy(ctx context.Context) error {
	id := 40 + u.bought
	// Name groups every product page in one row of the statistics.
	r := u.Client.Get(ctx, "/products/"+strconv.Itoa(id), herd.Name("/products/{id}"))
	if err := r.Err(); err != nil {
		return err // already counted as a failure
	}
	var product struct{ Price int }
	if err := r.JSON(&product); err != nil {
		return err
	}
	// Check adds a test of its own to the status rule (400 or more fails).
	r = u.Client.Post(ctx, "/cart", herd.JSON(map[string]int{"id": id}),
		herd.Check(func(r *herd.Response) error {
			if r.StatusCode != http.StatusCreated {
				return fmt.Errorf("cart refused the product: %s", r.Text())
			}
			return nil
		}))
	if err := r.Err(); err != nil {
		return err
	}
	if u.bought++; u.bought == 3 {
		return herd.ErrStopTest // enough for an example; a real test runs for -t
	}
	return nil
}

// A whole run against a local stand-in for the shop, printing the final
// statistics. A real program hands the test to herd.Main instead.
func ExampleHTTPUser() {
	shop := http.NewServeMux()
	shop.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: r.FormValue("user")})
	})
	shop.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%s,"price":1999}`, r.PathValue("id"))
	})
	shop.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("session"); errors.Is(err, http.ErrNoCookie) {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(shop)
	defer srv.Close()

	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Buyer",
		New:  func() herd.User { return new(Buyer) },
	}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		for _, e := range q.Stats.Entries {
			fmt.Printf("%-4s %-15s %d requests, %d failures\n", e.Method, e.Name, e.Requests, e.Failures)
		}
	})
	code, err := test.Run(context.Background(), herd.Env{
		Args:   []string{"--headless", "-u", "1", "-t", "30s", "-H", srv.URL},
		Stdout: io.Discard,
		Stderr: io.Discard,
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("exit code", code)
	// Output:
	// POST /cart           3 requests, 0 failures
	// POST /login          1 requests, 0 failures
	// GET  /products/{id}  3 requests, 0 failures
	// exit code 0
}

// PageReader reads the front page every 10 s or so. Embedding
// herd.FastHTTPUser gives it Client, a FastSession: fasthttp's speed, and
// while the user waits it holds only its connection, so 100,000 of them fit
// in well under a gigabyte.
type PageReader struct {
	herd.FastHTTPUser
	roots *x509.CertPool
}

// OnStart trusts the target's certificate authority, as a staging target
// with a private one needs.
func (u *PageReader) OnStart(context.Context) error {
	u.Client.TLSConfig = &tls.Config{RootCAs: u.roots}
	return nil
}

func (u *PageReader) Tasks() []herd.Task {
	return []herd.Task{{Name: "front", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

// Twenty readers against an HTTPS stand-in with a self-signed certificate:
// each reads the page once, then waits 9–11 s, longer than the test runs.
func ExampleFastHTTPUser() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "front page")
	}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	test := &herd.Test{Users: []*herd.UserType{{
		Name: "PageReader",
		Wait: herd.Between(9*time.Second, 11*time.Second),
		New:  func() herd.User { return &PageReader{roots: roots} },
	}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		for _, e := range q.Stats.Entries {
			fmt.Printf("%s %s: %d requests, %d failures\n", e.Method, e.Name, e.Requests, e.Failures)
		}
	})
	code, err := test.Run(context.Background(), herd.Env{
		// --stop-timeout lets a request in flight at the end finish.
		Args:   []string{"--headless", "-u", "20", "-r", "100", "-t", "1s", "--stop-timeout", "10", "-H", srv.URL},
		Stdout: io.Discard,
		Stderr: io.Discard,
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("exit code", code)
	// Output:
	// GET /: 20 requests, 0 failures
	// exit code 0
}
