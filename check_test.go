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

// TestCheckKeepsTheStatusRule: a check that only decodes JSON does not
// hide a 500 (issue 13: it used to accept all 20); Accept(500) says so
// explicitly.
func TestCheckKeepsTheStatusRule(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"down for maintenance"}`)
	}))
	t.Cleanup(srv.Close)
	decodes := herd.Check(func(r *herd.Response) error {
		var v map[string]any
		return r.JSON(&v)
	})
	tests := []struct {
		name     string
		opts     []herd.Option
		failures int64
	}{
		{"a check that decides nothing", []herd.Option{decodes}, 20},
		{"an explicit Accept", []herd.Option{decodes, herd.Accept(http.StatusInternalServerError)}, 0},
		{"Accept of another status", []herd.Option{decodes, herd.Accept(http.StatusNotFound)}, 20},
		{"Accept of every status", []herd.Option{herd.Accept(), decodes}, 0},
	}
	for _, f := range htFlavors {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				res := htRun(t, f, srv.URL, htRunOpts{}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
					for range 20 {
						c.Do(ctx, "GET", "/api/status", herd.Body{}, tt.opts...)
					}
					return herd.ErrStopTest
				})
				e, _ := res.report.entry("GET", "/api/status")
				if e.Requests != 20 || e.Failures != tt.failures {
					t.Errorf("%d requests, %d failures; want 20, %d", e.Requests, e.Failures, tt.failures)
				}
				if tt.failures > 0 && res.report.failures()["GET /api/status"]["HTTP 500 Internal Server Error"] != tt.failures {
					t.Errorf("failures: %v", res.report.failures())
				}
			})
		}
	}
}

// A product page that may be gone: Accept makes its 404 a success, the
// Check still fails a 404 that is not the shop's own.
func ExampleAccept() {
	shop := http.NewServeMux()
	shop.HandleFunc("GET /api/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "7" {
			http.Error(w, `{"error":"no such product"}`, http.StatusNotFound)
			return
		}
		io.WriteString(w, `{"id":1}`)
	})
	srv := httptest.NewServer(shop)
	defer srv.Close()

	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Browser",
		New:  func() herd.User { return new(catalogBrowser) },
	}, herd.SingleUser{Host: srv.URL, Out: io.Discard, Events: printResults()})
	fmt.Println("error:", err)
	// Output:
	// GET /api/products/{id}: 200
	// GET /api/products/{id}: 404
	// GET /gone: 404 failed: HTTP 404 Not Found
	// error: 1 of 3 requests failed, 0 errors in user code
}

type catalogBrowser struct{ herd.HTTPUser }

func (u *catalogBrowser) Tasks() []herd.Task {
	return []herd.Task{{Name: "browse", Run: func(ctx context.Context) error {
		// herd.Accept: a 404 is an answer here, not an error.
		gone := []herd.Option{herd.Name("/api/products/{id}"), herd.Accept(http.StatusNotFound),
			herd.Check(func(r *herd.Response) error {
				var v map[string]any
				return r.JSON(&v) // a 404 from the shop is JSON too
			})}
		u.Client.Get(ctx, "/api/products/1", gone...)
		u.Client.Get(ctx, "/api/products/7", gone...)
		u.Client.Get(ctx, "/gone") // no Accept: the status rule fails it
		return nil
	}}}
}

// printResults prints each request's name, status and failure.
func printResults() *herd.Events {
	ev := &herd.Events{}
	ev.OnRequest(func(r herd.Request) {
		line := fmt.Sprintf("%s %s: %d", r.Kind, r.Name, r.Response.StatusCode)
		if r.Err != nil {
			line += " failed: " + r.Err.Error()
		}
		fmt.Println(line)
	})
	return ev
}
