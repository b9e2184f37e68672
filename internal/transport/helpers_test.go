package transport

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
)

// testTimeout bounds every wait in these tests: only a hang reaches it.
const testTimeout = 30 * time.Second

// newTestRouter binds a Router on a free loopback port.
func newTestRouter(t *testing.T, opts ...Option) *Router {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	r, err := ListenRouter(ctx, "tcp://127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// newTestDealer connects a Dealer with identity id to r.
func newTestDealer(t *testing.T, r *Router, id string, opts ...Option) *Dealer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d, err := DialDealer(ctx, r.Endpoint(), id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// recvRouter receives one message, failing the test on timeout or error.
func recvRouter(t *testing.T, r *Router) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	id, payload, err := r.Recv(ctx)
	if err != nil {
		t.Fatalf("Router.Recv: %v", err)
	}
	return id, string(payload)
}

// recvDealer receives one message, failing the test on timeout or error.
func recvDealer(t *testing.T, d *Dealer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	payload, err := d.Recv(ctx)
	if err != nil {
		t.Fatalf("Dealer.Recv: %v", err)
	}
	return string(payload)
}

// recvPeerError receives from r until a *PeerError arrives.
func recvPeerError(t *testing.T, r *Router) *PeerError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		_, _, err := r.Recv(ctx)
		var pe *PeerError
		if errors.As(err, &pe) {
			return pe
		}
		if err != nil {
			t.Fatalf("Router.Recv: %v, want a *PeerError", err)
		}
	}
}

// eventually polls cond every few milliseconds until it holds or the test
// timeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoLeak records the goroutine count and, at cleanup, polls until the
// count is back to it.
func checkNoLeak(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(testTimeout)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf[:n])
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
