package herd_test

// Tests of FastHTTPUser's FastSession: the shared cases of http_test.go,
// and what only the fasthttp client does.

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/herdload/herd"
)

func TestFastSession(t *testing.T) {
	t.Parallel()
	htRunCases(t, htFastHTTP)
}

// TestFastSessionReusesTheResponse: a FastSession answers every request with
// the same Response, valid until the next request; copies survive.
func TestFastSessionReusesTheResponse(t *testing.T) {
	t.Parallel()
	srv := htServer(t)
	htRun(t, htFastHTTP, srv.URL, htRunOpts{}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
		r1 := c.Do(ctx, "GET", "/size/3", herd.Body{})
		text := r1.Text()
		h := r1.Header()
		r2 := c.Do(ctx, "GET", "/status/404", herd.Body{})
		if r1 != r2 {
			t.Error("FastSession returned a new Response")
		}
		if text != "xxx" || h.Get("Content-Length") != "3" {
			t.Errorf("copies changed: %q, %v", text, h)
		}
		if r2.StatusCode != 404 || r2.Text() != "status 404" || r2.OK() {
			t.Errorf("second response: %d %q", r2.StatusCode, r2.Text())
		}
		return herd.ErrStopTest
	})
}

// TestFastSessionDoesNotResendOnANewConnection: a new connection closed
// before any answer is a failure, recorded once and not resent (a
// fasthttp.Client would send it five times), as with net/http.
func TestFastSessionDoesNotResendOnANewConnection(t *testing.T) {
	t.Parallel()
	for _, f := range htFlavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			host := rawServer(t, func(c *net.TCPConn) {
				conns.Add(1)
				readRequest(c)
			})
			const requests = 5
			res := htRun(t, f, host, htRunOpts{}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for range requests {
					c.Do(ctx, "GET", "/", herd.Body{})
				}
				return herd.ErrStopTest
			})
			const msg = "reset: server closed the connection before a full response"
			if f := res.report.failures(); f["GET /"][msg] != requests || len(f) != 1 {
				t.Errorf("failures: %v", f)
			}
			if n := conns.Load(); n != requests {
				t.Errorf("%d connections for %d requests", n, requests)
			}
		})
	}
}
