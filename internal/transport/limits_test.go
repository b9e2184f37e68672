package transport

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// withTakeoverSilence sets how long an identity's connection must be
// silent before a new one takes it over.
func withTakeoverSilence(d time.Duration) Option {
	return func(o *options) { o.takeoverSilence = d }
}

// header is a data frame's header declaring size bytes.
func header(size int) []byte {
	return frame(0, make([]byte, size))[:9]
}

// expectPeerClosed waits until the Router closes nc.
func expectPeerClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	buf := make([]byte, 4096)
	for {
		_, err := nc.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the Router did not close the connection")
		}
		if err != nil {
			return
		}
	}
}

// TestStalledMessageIsDropped: a message that stops arriving is dropped
// with its connection once its read timeout passes, and gives its memory
// back.
func TestStalledMessageIsDropped(t *testing.T) {
	r := newTestRouter(t, WithLimits(Limits{ReadTimeout: 200 * time.Millisecond}))
	p := dialRaw(t, r, "w_stall")
	if _, err := p.nc.Write(append(header(1<<20), make([]byte, 100<<10)...)); err != nil {
		t.Fatal(err)
	}
	pe := recvPeerError(t, r)
	if !errors.Is(pe, ErrTimeout) || !strings.Contains(pe.Error(), "not complete") || pe.Identity != "w_stall" {
		t.Fatalf("PeerError = %v", pe)
	}
	expectPeerClosed(t, p.nc)
	eventually(t, "the memory given back", func() bool { return r.mem.used.Load() == 0 })
}

// TestDeclaredSizeIsNotAllocated: frames that declare a large size and
// send nothing hold one first buffer each, not what they declared.
func TestDeclaredSizeIsNotAllocated(t *testing.T) {
	const peers = 20
	r := newTestRouter(t, WithMaxMessageSize(8<<20))
	for i := range peers {
		p := dialRaw(t, r, "w_declare_"+string(rune('a'+i)))
		if _, err := p.nc.Write(header(8<<20 - 16)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every frame begun", func() bool { return r.mem.used.Load() == peers*growStart })
}

// TestMemoryBudgetWaits: a message that does not fit the budget waits
// (its sender held back by TCP) until Recv took earlier ones, and then
// arrives whole.
func TestMemoryBudgetWaits(t *testing.T) {
	const size = 400_000
	// The budget becomes twice the cap, 800,032 bytes.
	r := newTestRouter(t, WithLimits(Limits{MaxMessageSize: size + 16, MemoryBudget: 512 << 10}))
	a := newTestDealer(t, r, "w_a")
	b := newTestDealer(t, r, "w_b")
	first := bytes.Repeat([]byte("a"), size)
	second := bytes.Repeat([]byte("b"), size)
	if err := a.Send(first); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first message queued", func() bool { return len(r.q.in) == 1 && r.mem.used.Load() == size })
	if err := b.Send(second); err != nil {
		t.Fatal(err)
	}
	// The second message's buffer doubles from 64 KiB: at 256 KiB, the
	// next one (its full 400,000 bytes, held with the old one while
	// copying) would exceed the budget, and it waits.
	eventually(t, "the second message waiting", func() bool { return r.mem.used.Load() == size+256<<10 })
	if n := len(r.q.in); n != 1 {
		t.Fatalf("%d messages queued beyond the budget", n)
	}
	if id, msg := recvRouter(t, r); id != "w_a" || msg != string(first) {
		t.Fatalf("first: %d bytes from %q", len(msg), id)
	}
	if id, msg := recvRouter(t, r); id != "w_b" || msg != string(second) {
		t.Fatalf("second: %d bytes from %q", len(msg), id)
	}
	if used := r.mem.used.Load(); used != 0 {
		t.Errorf("%d bytes of the budget still held", used)
	}
}

// TestAdmission: with an admission timeout, a peer that is never
// admitted is dropped; until admitted, a peer's small messages arrive and
// a large one waits; a member is admitted as it connects.
func TestAdmission(t *testing.T) {
	r := newTestRouter(t, WithLimits(Limits{AdmitTimeout: 300 * time.Millisecond}))
	ghost := dialRaw(t, r, "w_ghost")
	pe := recvPeerError(t, r)
	if !errors.Is(pe, ErrTimeout) || !strings.Contains(pe.Error(), "not admitted") || pe.Identity != "w_ghost" {
		t.Fatalf("PeerError = %v", pe)
	}
	expectPeerClosed(t, ghost.nc)

	r = newTestRouter(t, WithLimits(Limits{AdmitTimeout: testTimeout}))
	d := newTestDealer(t, r, "w_new")
	big := bytes.Repeat([]byte("x"), 10_000)
	if err := d.Send([]byte("client_ready")); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(big); err != nil {
		t.Fatal(err)
	}
	if id, msg := recvRouter(t, r); id != "w_new" || msg != "client_ready" {
		t.Fatalf("got %q from %q", msg, id)
	}
	eventually(t, "the large message waiting", func() bool { return r.pendingCount() == 1 })
	if n := len(r.q.in); n != 0 {
		t.Fatalf("%d messages queued before the admission", n)
	}
	r.Admit("w_new")
	if _, msg := recvRouter(t, r); msg != string(big) {
		t.Fatalf("after the admission: %d bytes", len(msg))
	}
	if n := r.pendingCount(); n != 0 {
		t.Errorf("%d pending after the admission", n)
	}

	// A member's next connection is admitted at once.
	if err := d.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(big); err != nil {
		t.Fatal(err)
	}
	if _, msg := recvRouter(t, r); msg != string(big) {
		t.Fatalf("after reconnecting: %d bytes", len(msg))
	}
	r.Forget("w_new")
	if err := d.Reconnect(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new connection pending", func() bool { return r.pendingCount() == 1 })
}

// pendingCount is the number of connections not admitted yet.
func (r *Router) pendingCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// TestConnectionLimits: beyond MaxConnections a new connection is closed
// at once, unless some are pending: a new one beyond MaxPending, or beyond
// MaxConnections, replaces the oldest pending one, so silent connections
// cannot keep a real peer out.
func TestConnectionLimits(t *testing.T) {
	r := newTestRouter(t, WithLimits(Limits{MaxConnections: 3}))
	for _, id := range []string{"w_1", "w_2", "w_3"} {
		newTestDealer(t, r, id)
	}
	eventually(t, "three peers", func() bool { return len(r.Peers()) == 3 && r.pendingCount() == 0 })
	extra, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	expectPeerClosed(t, extra)
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrRefused) || !strings.Contains(pe.Error(), "limit") {
		t.Fatalf("PeerError = %v", pe)
	}

	for _, limits := range []Limits{{MaxPending: 3}, {MaxConnections: 3}} {
		r = newTestRouter(t, WithLimits(limits))
		var silent []net.Conn
		for range 3 {
			nc, err := net.Dial("tcp", r.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = nc.Close() })
			silent = append(silent, nc)
			eventually(t, "the connection tracked", func() bool { return r.pendingCount() == len(silent) })
		}
		d := newTestDealer(t, r, "w_real")
		expectPeerClosed(t, silent[0])
		if pe := recvPeerError(t, r); !errors.Is(pe, ErrRefused) || !strings.Contains(pe.Error(), "oldest") {
			t.Fatalf("%+v: PeerError = %v", limits, pe)
		}
		if err := d.Send([]byte("here")); err != nil {
			t.Fatal(err)
		}
		if id, msg := recvRouter(t, r); id != "w_real" || msg != "here" {
			t.Fatalf("%+v: got %q from %q", limits, msg, id)
		}
	}
}

// TestIdentityInUse: a new connection with a live peer's identity is
// refused and the live peer keeps it; once the old connection closed, or
// went silent, a new one takes the identity.
func TestIdentityInUse(t *testing.T) {
	r := newTestRouter(t, WithHandshakeTimeout(300*time.Millisecond), withTakeoverSilence(time.Hour))
	d := newTestDealer(t, r, "w_1")
	// The Dealer connects in the background: on a loaded machine the thief
	// could otherwise register first and be the live peer.
	eventually(t, "the peer registered", func() bool { return slices.Contains(r.Peers(), "w_1") })
	thief := dialRaw(t, r, "w_1")
	pe := recvPeerError(t, r)
	if !errors.Is(pe, ErrRefused) || !strings.Contains(pe.Error(), "in use") {
		t.Fatalf("PeerError = %v", pe)
	}
	expectPeerClosed(t, thief.nc)
	if err := r.SendTo("w_1", []byte("still yours")); err != nil {
		t.Fatal(err)
	}
	if got := recvDealer(t, d); got != "still yours" {
		t.Fatalf("the live peer got %q", got)
	}

	// The old connection closes while the new one waits: it takes over.
	r = newTestRouter(t, withTakeoverSilence(time.Hour))
	d = newTestDealer(t, r, "w_2")
	eventually(t, "the peer registered", func() bool { return slices.Contains(r.Peers(), "w_2") })
	next := dialRaw(t, r, "w_2")
	if _, err := next.nc.Write(frame(0, []byte("from the new one"))); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if id, msg := recvRouter(t, r); id != "w_2" || msg != "from the new one" {
		t.Fatalf("got %q from %q", msg, id)
	}

	// A silent connection loses its identity to a new one.
	r = newTestRouter(t, withTakeoverSilence(50*time.Millisecond))
	old := dialRaw(t, r, "w_3")
	eventually(t, "the peer registered", func() bool { return slices.Contains(r.Peers(), "w_3") })
	next = dialRaw(t, r, "w_3")
	pe = recvPeerError(t, r)
	if !errors.Is(pe, ErrReplaced) || pe.Identity != "w_3" {
		t.Fatalf("PeerError = %v", pe)
	}
	expectPeerClosed(t, old.nc)
	if _, err := next.nc.Write(frame(0, []byte("mine now"))); err != nil {
		t.Fatal(err)
	}
	if id, msg := recvRouter(t, r); id != "w_3" || msg != "mine now" {
		t.Fatalf("got %q from %q", msg, id)
	}
}

// TestToken: a Router with a token accepts Dealers that present it and
// refuses, before reading anything from them, peers without it or with a
// wrong one; a Router without a token accepts a Dealer that has one.
func TestToken(t *testing.T) {
	r := newTestRouter(t, WithToken("s3cret"))
	var refused []net.Conn
	for _, tc := range []struct{ name, token string }{{"none", ""}, {"wrong", "s3cre"}} {
		nc, err := net.Dial("tcp", r.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := zmq4.Open(nc, security(tc.token), zmq4.Dealer, zmq4.SocketIdentity("w_"+tc.name), false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(frame(0, []byte("forged"))); err != nil {
			t.Fatal(err)
		}
		pe := recvPeerError(t, r)
		if !errors.Is(pe, ErrToken) || pe.Identity != "w_"+tc.name {
			t.Fatalf("%s: PeerError = %v", tc.name, pe)
		}
		refused = append(refused, nc)
	}
	for _, nc := range refused {
		expectPeerClosed(t, nc) // after a second (tokenPenalty), unread
	}
	d := newTestDealer(t, r, "w_ok", WithToken("s3cret"))
	if err := d.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	// Nothing from the refused peers came before it.
	if id, msg := recvRouter(t, r); id != "w_ok" || msg != "hello" {
		t.Fatalf("got %q from %q", msg, id)
	}

	open := newTestRouter(t)
	d = newTestDealer(t, open, "w_token", WithToken("s3cret"))
	if err := d.Send([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if id, msg := recvRouter(t, open); id != "w_token" || msg != "hi" {
		t.Fatalf("got %q from %q", msg, id)
	}
}

// TestTokenProperty pins the READY property a Dealer sends.
func TestTokenProperty(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan zmq4.Metadata, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer nc.Close()
		zc, err := zmq4.Open(nc, security(""), zmq4.Router, nil, false, nil)
		if err != nil {
			got <- nil
			return
		}
		got <- zc.Peer.Meta
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d, err := DialDealer(ctx, "tcp://"+ln.Addr().String(), "w", WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	meta := <-got
	if meta[tokenProperty] != tokenProof("t") || len(tokenProof("t")) != 64 || meta[identityKey] != "w" {
		t.Fatalf("READY metadata %q", meta)
	}
}
