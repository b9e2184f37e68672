package herd_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/herdload/herd"
)

type traceKey struct{}

func TestRequestEventHasResponseURLAndContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "shop-7")
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	for _, f := range htFlavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			type seen struct {
				url, servedBy, host, trace string
				status                     int
			}
			var got []seen
			test := &herd.Test{Users: []*herd.UserType{{Name: "U", New: func() herd.User {
				return f.newUser(func(ctx context.Context, c htClient, _ http.Header, _ int) error {
					ctx = context.WithValue(ctx, traceKey{}, "trace-1")
					c.Do(ctx, "GET", "/items?id=1", herd.Body{}, herd.Name("/items"))
					c.Do(ctx, "GET", "/missing", herd.Body{})
					herd.Record(ctx, herd.Request{Kind: "grpc", Name: "Hello"})
					return herd.ErrStopTest
				})
			}}}}
			test.Events.OnRequest(func(r herd.Request) {
				s := seen{url: r.URL, host: herd.HostFrom(r.Context)}
				s.trace, _ = r.Context.Value(traceKey{}).(string)
				if r.Response != nil {
					s.status, s.servedBy = r.Response.StatusCode, r.Response.Header().Get("X-Served-By")
				}
				got = append(got, s) // one user: no lock needed
			})
			if code, _, stderr := runTest(t, context.Background(), test, "--headless", "-t", "30s", "-H", srv.URL); code != herd.ExitFailures {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
			want := []seen{
				{srv.URL + "/items?id=1", "shop-7", srv.URL, "trace-1", 200},
				{srv.URL + "/missing", "shop-7", srv.URL, "trace-1", 404},
				{"", "", srv.URL, "trace-1", 0},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("the listener saw\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// A request listener that logs slow or failed requests with their URL,
// status and a header of the response, and the user's host.
func ExampleRequest() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "abc123")
		http.Error(w, "out of stock", http.StatusConflict)
	}))
	defer srv.Close()

	ev := &herd.Events{} // test.Events in a whole test
	ev.OnRequest(func(r herd.Request) {
		if r.Err == nil {
			return
		}
		url := r.URL[len(herd.HostFrom(r.Context)):] // the path, for a stable output
		fmt.Printf("%s %s failed with %d (request id %s): %v\n",
			r.Kind, url, r.Response.StatusCode, r.Response.Header().Get("X-Request-Id"), r.Err)
	})
	herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Buyer",
		New: func() herd.User {
			u := &funcHTTPUser{}
			u.run = func(ctx context.Context) error {
				return u.Client.Post(ctx, "/api/orders?item=7", herd.JSON(map[string]int{"qty": 1})).Err()
			}
			return u
		},
	}, herd.SingleUser{Host: srv.URL, Out: io.Discard, Events: ev})
	// Output:
	// POST /api/orders?item=7 failed with 409 (request id abc123): HTTP 409 Conflict
}
