package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// rawPeer is a hand-driven ZMTP connection to a Router, for sending what
// a Dealer never would.
type rawPeer struct {
	nc net.Conn
	zc *zmq4.Conn
}

// dialRaw connects to r and completes a DEALER handshake with identity id.
func dialRaw(t *testing.T, r *Router, id string) rawPeer {
	t.Helper()
	nc, err := net.DialTimeout("tcp", r.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	zc, err := zmq4.Open(nc, null.Security(), zmq4.Dealer, zmq4.SocketIdentity(id), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rawPeer{nc: nc, zc: zc}
}

// frame encodes one ZMTP frame.
func frame(flags byte, body []byte) []byte {
	if len(body) > 255 {
		var b [9]byte
		b[0] = flags | flagLong
		binary.BigEndian.PutUint64(b[1:], uint64(len(body)))
		return append(b[:], body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

// TestMultiFrameIsReported checks that a multi-frame message is reported,
// dropped, and does not disturb the connection.
func TestMultiFrameIsReported(t *testing.T) {
	r := newTestRouter(t)
	p := dialRaw(t, r, "w_multi")
	stream := append(frame(flagMore, []byte("part1")), frame(0, []byte("part2"))...)
	stream = append(stream, frame(0, []byte("fine"))...)
	if _, err := p.nc.Write(stream); err != nil {
		t.Fatal(err)
	}
	pe := recvPeerError(t, r)
	if !errors.Is(pe, ErrMultipart) || pe.Identity != "w_multi" {
		t.Fatalf("PeerError = %v", pe)
	}
	if id, msg := recvRouter(t, r); id != "w_multi" || msg != "fine" {
		t.Fatalf("after the bad message: %q from %q", msg, id)
	}
}

// TestOversizedMessage checks the size cap: reported, connection dropped,
// nothing allocated for the declared size.
func TestOversizedMessage(t *testing.T) {
	r := newTestRouter(t, WithMaxMessageSize(1024))
	p := dialRaw(t, r, "w_big")
	huge := []byte{flagLong, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if _, err := p.nc.Write(huge); err != nil {
		t.Fatal(err)
	}
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrTooLarge) {
		t.Fatalf("PeerError = %v", pe)
	}
	_ = p.nc.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.ReadAll(p.nc); err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("connection not closed after an oversized message")
		}
	}
	// Many empty frames count against the cap too.
	p2 := dialRaw(t, r, "w_many")
	if _, err := p2.nc.Write(bytes.Repeat([]byte{flagMore, 0}, 600)); err != nil {
		t.Fatal(err)
	}
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrTooLarge) {
		t.Fatalf("PeerError = %v", pe)
	}
}

// TestBadHandshakes covers junk, an oversized handshake frame, a READY
// that makes zmq4 panic, and a silent client that must not block others.
func TestBadHandshakes(t *testing.T) {
	r := newTestRouter(t, WithHandshakeTimeout(200*time.Millisecond))
	dial := func() net.Conn {
		nc, err := net.DialTimeout("tcp", r.Addr().String(), testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nc.Close() })
		return nc
	}
	greeting := func() []byte {
		g := make([]byte, 64)
		g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 1
		copy(g[12:], "NULL")
		return g
	}

	silent := dial() // never says anything
	_ = silent

	junk := dial()
	_, _ = junk.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + string(make([]byte, 64))))
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrHandshake) {
		t.Errorf("junk: %v", pe)
	}

	huge := dial()
	_, _ = huge.Write(append(greeting(), flagCommand|flagLong, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrHandshake) || !errors.Is(pe, ErrTooLarge) {
		t.Errorf("huge READY: %v", pe)
	}

	// READY whose property ends right after its name: zmq4's metadata
	// parser slices past the end for the value length and panics.
	bad := dial()
	body := append([]byte{5}, "READY"...)
	body = append(body, 3, 'a', 'b', 'c')
	_, _ = bad.Write(append(greeting(), frame(flagCommand, body)...))
	if pe := recvPeerError(t, r); !errors.Is(pe, ErrHandshake) || !strings.Contains(pe.Error(), "panicked") {
		t.Errorf("malformed READY: %v", pe)
	}

	// Meanwhile a proper Dealer still gets through.
	d := newTestDealer(t, r, "w_ok")
	if err := d.Send([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		id, msg, err := r.Recv(ctx)
		var pe *PeerError
		if errors.As(err, &pe) {
			continue // the silent client's handshake timeout
		}
		if err != nil || id != "w_ok" || string(msg) != "hi" {
			t.Fatalf("got %q from %q: %v", msg, id, err)
		}
		break
	}
}

// TestAnonymousPeer checks the libzmq-style id given to a peer without one.
func TestAnonymousPeer(t *testing.T) {
	r := newTestRouter(t)
	p := dialRaw(t, r, "")
	if _, err := p.nc.Write(frame(0, []byte("anon"))); err != nil {
		t.Fatal(err)
	}
	id, msg := recvRouter(t, r)
	if len(id) != 5 || id[0] != 0 || msg != "anon" {
		t.Fatalf("got %q from %q", msg, id)
	}
	if err := r.SendTo(id, []byte("back")); err != nil {
		t.Fatal(err)
	}
	got, err := p.zc.RecvMsg()
	if err != nil || string(got.Frames[0]) != "back" {
		t.Fatalf("anonymous peer got %v, %v", got, err)
	}
}

// TestPingPong checks that a ZMTP PING is answered with a PONG echoing its
// context and is not delivered as a message.
func TestPingPong(t *testing.T) {
	r := newTestRouter(t)
	p := dialRaw(t, r, "w_ping")
	ping := append([]byte{4}, "PING"...)
	ping = append(ping, 0, 10, 'c', 't', 'x')
	if _, err := p.nc.Write(append(frame(flagCommand, ping), frame(0, []byte("after ping"))...)); err != nil {
		t.Fatal(err)
	}
	if id, msg := recvRouter(t, r); id != "w_ping" || msg != "after ping" {
		t.Fatalf("got %q from %q", msg, id)
	}
	_ = p.nc.SetReadDeadline(time.Now().Add(testTimeout))
	msg, err := readMessage(bufio.NewReader(p.nc), 1024)
	if err != nil || !msg.command {
		t.Fatalf("no PONG: %v %v", msg, err)
	}
	name, body, _ := parseCommand(msg.frames[0])
	if name != "PONG" || string(body) != "ctx" {
		t.Fatalf("got %s %q", name, body)
	}
}

// TestDealerRejectsMultiFrame checks the Dealer side of the framing rule.
func TestDealerRejectsMultiFrame(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer nc.Close()
		if _, err := zmq4.Open(nc, null.Security(), zmq4.Router, nil, true, nil); err != nil {
			served <- err
			return
		}
		stream := append(frame(flagMore, []byte("a")), frame(0, []byte("b"))...)
		_, err = nc.Write(append(stream, frame(0, []byte("ok"))...))
		served <- err
		_, _ = io.Copy(io.Discard, nc)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d, err := DialDealer(ctx, "tcp://"+ln.Addr().String(), "w")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recv(ctx); !errors.Is(err, ErrMultipart) {
		t.Fatalf("Recv = %v, want ErrMultipart", err)
	}
	if got := recvDealer(t, d); got != "ok" {
		t.Fatalf("then got %q", got)
	}
}
