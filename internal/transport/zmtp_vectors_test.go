package transport

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"testing"
)

// TestReplayLibzmqDealer replays the bytes a real Locust 2.12.1 worker
// (pyzmq/libzmq 4.3.4 DEALER) sent, captured in testdata/zmtp_worker_side.bin:
// greeting, READY with its identity, three client_ready frames.
func TestReplayLibzmqDealer(t *testing.T) {
	stream, err := os.ReadFile("testdata/zmtp_worker_side.bin")
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRouter(t)
	nc, err := net.DialTimeout("tcp", r.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	go func() { _, _ = io.Copy(io.Discard, nc) }()
	if _, err := nc.Write(stream); err != nil {
		t.Fatal(err)
	}
	const id = "vm_dc11f7622ee9421595cc3c743663f3b4"
	for range 3 {
		got, msg := recvRouter(t, r)
		if got != id || len(msg) != 52 || msg[1:13] != "\xacclient_read" {
			t.Fatalf("got % x from %q", msg, got)
		}
	}
	if err := r.SendTo(id, []byte("ack")); err != nil {
		t.Fatal(err)
	}
}

// TestReplayLibzmqRouter plays a real Locust master's side of the
// handshake (testdata/zmtp_master_side.bin: greeting, READY of a ROUTER
// with an empty Identity) to a Dealer, and checks what the Dealer sends.
func TestReplayLibzmqRouter(t *testing.T) {
	master, err := os.ReadFile("testdata/zmtp_master_side.bin")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const id = "vm_0123456789abcdef0123456789abcdef"
	type seen struct {
		greeting []byte
		ready    []byte
		payload  []byte
		err      error
	}
	result := make(chan seen, 1)
	go func() {
		var s seen
		defer func() { result <- s }()
		nc, err := ln.Accept()
		if err != nil {
			s.err = err
			return
		}
		defer nc.Close()
		if _, s.err = nc.Write(master); s.err != nil {
			return
		}
		br := bufio.NewReader(nc)
		s.greeting = make([]byte, 64)
		if _, s.err = io.ReadFull(br, s.greeting); s.err != nil {
			return
		}
		msg, err := readMessage(br, 1<<10)
		if s.err = err; err != nil {
			return
		}
		s.ready = msg.frames[0]
		if _, s.err = nc.Write(frame(0, []byte("ack"))); s.err != nil {
			return
		}
		msg, s.err = readMessage(br, 1<<10)
		if s.err == nil {
			s.payload = msg.frames[0]
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d, err := DialDealer(ctx, "tcp://"+ln.Addr().String(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := recvDealer(t, d); got != "ack" {
		t.Fatalf("Dealer got %q", got)
	}
	if err := d.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	s := <-result
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.greeting[0] != 0xff || s.greeting[9] != 0x7f || s.greeting[10] != 3 || string(s.greeting[12:16]) != "NULL" || s.greeting[32] != 0 {
		t.Errorf("greeting % x", s.greeting)
	}
	name, body, _ := parseCommand(s.ready)
	props := map[string]string{}
	for len(body) > 0 {
		k := string(body[1 : 1+body[0]])
		body = body[1+body[0]:]
		n := int(body[0])<<24 | int(body[1])<<16 | int(body[2])<<8 | int(body[3])
		props[k] = string(body[4 : 4+n])
		body = body[4+n:]
	}
	if name != "READY" || props["Socket-Type"] != "DEALER" || props["Identity"] != id || len(props) != 2 {
		t.Errorf("READY %s %q", name, props)
	}
	if !bytes.Equal(s.payload, []byte("hello")) {
		t.Errorf("payload %q", s.payload)
	}
}
