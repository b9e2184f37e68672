package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd/internal/refusedport"
)

// TestRoundTrip sends both ways between one Dealer and the Router.
func TestRoundTrip(t *testing.T) {
	r := newTestRouter(t)
	d := newTestDealer(t, r, "vm_0123456789abcdef0123456789abcdef")
	if err := d.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	id, msg := recvRouter(t, r)
	if id != d.Identity() || msg != "hello" {
		t.Fatalf("Router got %q from %q", msg, id)
	}
	if err := r.SendTo(id, []byte("ack")); err != nil {
		t.Fatal(err)
	}
	if got := recvDealer(t, d); got != "ack" {
		t.Fatalf("Dealer got %q", got)
	}
	if r.Port() == 0 || r.Endpoint() != "tcp://"+r.Addr().String() {
		t.Errorf("Port %d, Endpoint %q", r.Port(), r.Endpoint())
	}
	// Large messages use ZMTP's long frame format.
	big := make([]byte, 1<<20)
	big[len(big)-1] = 7
	if err := d.Send(big); err != nil {
		t.Fatal(err)
	}
	if _, msg := recvRouter(t, r); len(msg) != len(big) || msg[len(msg)-1] != 7 {
		t.Fatalf("big message arrived with %d bytes", len(msg))
	}
}

// TestSeveralDealers checks identities and per-identity replies.
func TestSeveralDealers(t *testing.T) {
	r := newTestRouter(t)
	var dealers []*Dealer
	for i := range 5 {
		dealers = append(dealers, newTestDealer(t, r, fmt.Sprintf("host%d_%032x", i, i)))
	}
	for i, d := range dealers {
		for j := range 3 {
			if err := d.Send(fmt.Appendf(nil, "%d/%d", i, j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	next := map[string]int{}
	for range 15 {
		id, msg := recvRouter(t, r)
		var i, j int
		if _, err := fmt.Sscanf(msg, "%d/%d", &i, &j); err != nil || id != dealers[i].Identity() || j != next[id] {
			t.Fatalf("got %q from %q (expected message %d of that dealer)", msg, id, next[id])
		}
		next[id]++
	}
	if got := r.Peers(); len(got) != 5 || !slices.IsSorted(got) {
		t.Errorf("Peers = %q", got)
	}
	// Replies reach exactly the addressed dealer.
	for i := len(dealers) - 1; i >= 0; i-- {
		if err := r.SendTo(dealers[i].Identity(), fmt.Appendf(nil, "for %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, d := range dealers {
		if got := recvDealer(t, d); got != fmt.Sprintf("for %d", i) {
			t.Errorf("dealer %d got %q", i, got)
		}
	}
	if err := r.SendTo("nobody", []byte("x")); !errors.Is(err, ErrNoPeer) {
		t.Errorf("SendTo unknown identity: %v", err)
	}
}

// TestReconnectSameIdentity covers Reconnect and a fresh Dealer with the
// same identity after Close: the Router keeps routing by identity.
func TestReconnectSameIdentity(t *testing.T) {
	r := newTestRouter(t)
	const id = "vm_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	d := newTestDealer(t, r, id)
	if err := d.Send([]byte("before")); err != nil {
		t.Fatal(err)
	}
	if got, msg := recvRouter(t, r); got != id || msg != "before" {
		t.Fatalf("got %q from %q", msg, got)
	}
	if err := d.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if err := d.Send([]byte("after reconnect")); err != nil {
		t.Fatal(err)
	}
	if got, msg := recvRouter(t, r); got != id || msg != "after reconnect" {
		t.Fatalf("got %q from %q", msg, got)
	}
	// The Router routes to the new connection.
	if err := r.SendTo(id, []byte("reply")); err != nil {
		t.Fatal(err)
	}
	if got := recvDealer(t, d); got != "reply" {
		t.Fatalf("Dealer got %q", got)
	}
	eventually(t, "one peer after reconnect", func() bool { return len(r.Peers()) == 1 })

	// Close and dial again with the same identity.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Send([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if err := d.Reconnect(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reconnect after Close: %v", err)
	}
	eventually(t, "peer gone after Close", func() bool { return len(r.Peers()) == 0 })
	d2 := newTestDealer(t, r, id)
	if err := d2.Send([]byte("second life")); err != nil {
		t.Fatal(err)
	}
	if got, msg := recvRouter(t, r); got != id || msg != "second life" {
		t.Fatalf("got %q from %q", msg, got)
	}
	if err := r.SendTo(id, []byte("welcome back")); err != nil {
		t.Fatal(err)
	}
	if got := recvDealer(t, d2); got != "welcome back" {
		t.Fatalf("Dealer got %q", got)
	}
}

// TestDealerSurvivesRouterRestart checks libzmq-like automatic reconnection
// and delivery of messages queued while the Router was away.
func TestDealerSurvivesRouterRestart(t *testing.T) {
	r := newTestRouter(t)
	endpoint := r.Endpoint()
	d := newTestDealer(t, r, "w_1", WithReconnectInterval(10*time.Millisecond))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A message written before the Dealer notices the loss would vanish in
	// the socket buffer (as with libzmq); wait until it is reconnecting.
	eventually(t, "the Dealer to notice the disconnect", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.cur == nil
	})
	if err := d.Send([]byte("queued while down")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var r2 *Router
	eventually(t, "rebinding the same port", func() bool {
		var err error
		r2, err = ListenRouter(ctx, endpoint)
		return err == nil
	})
	t.Cleanup(func() { _ = r2.Close() })
	if got, msg := recvRouter(t, r2); got != "w_1" || msg != "queued while down" {
		t.Fatalf("got %q from %q", msg, got)
	}
}

// TestRecvContext checks that Recv honours its context and Close.
func TestRecvContext(t *testing.T) {
	r := newTestRouter(t)
	d := newTestDealer(t, r, "w")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := r.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Router.Recv: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := d.Recv(ctx2)
		done <- err
	}()
	cancel2()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Dealer.Recv: %v", err)
	}
	go func() {
		_, _, err := r.Recv(context.Background())
		done <- err
	}()
	_ = r.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Router.Recv after Close: %v", err)
	}
	if err := r.SendTo("w", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("SendTo after Close: %v", err)
	}
}

// TestCloseFlushesAndLeaksNothing sends, closes at once, and checks that
// the queued messages arrived (linger) and that no goroutine survives.
func TestCloseFlushesAndLeaksNothing(t *testing.T) {
	leaks := checkNoLeak(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	r, err := ListenRouter(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var dealers []*Dealer
	for i := range 3 {
		d, err := DialDealer(ctx, r.Endpoint(), fmt.Sprintf("w%d", i))
		if err != nil {
			t.Fatal(err)
		}
		dealers = append(dealers, d)
	}
	for _, d := range dealers {
		for _, m := range []string{"stats", "quit"} {
			if err := d.Send([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		_ = d.Close() // must flush before closing
	}
	for range 6 {
		if _, _, err := r.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A connection stuck in its handshake must not keep Close waiting.
	silent, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_ = r.Close()
	_ = r.Close() // idempotent
	leaks()
}

// TestDialDealerGivesUp checks that DialDealer honours its context when
// nothing listens, and validates identities.
func TestDialDealerGivesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := DialDealer(ctx, refusedport.Endpoint(t), "w")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DialDealer with nothing listening: %v", err)
	}
	for _, id := range []string{"", "\x00abc", "\xff", string(make([]byte, 256))} {
		if _, err := DialDealer(ctx, "tcp://127.0.0.1:1", id); err == nil {
			t.Errorf("identity %q accepted", id)
		}
	}
	for _, ep := range []string{"ipc:///tmp/x", "tcp://*:5557", "tcp://nohost"} {
		if _, err := DialDealer(ctx, ep, "w"); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}
