package cluster

import (
	"bufio"
	"net"
	"slices"
	"testing"

	"github.com/herdload/herd/internal/wire"
)

func spawnMsg(ts float64, users int) wire.Spawn {
	return wire.Spawn{Timestamp: ts, UserClassesCount: map[string]int{"Shopper": users}, ParsedOptions: map[string]any{}}
}

func decodeCounts(t *testing.T, m wire.Message) map[string]int {
	t.Helper()
	sc, err := wire.DecodeSpawningComplete(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return sc.UserClassesCount
}

// TestWorkerIgnoresStaleSpawn drives a herd worker from a hand-made
// master: every spawn gets "spawning", but one whose timestamp is not
// greater than the last accepted one (or that is malformed) changes
// nothing and gets no spawning_complete. On quit the worker sends its
// final report, then quit, and ends without error.
func TestWorkerIgnoresStaleSpawn(t *testing.T) {
	t.Parallel()
	rm := listenRaw(t)
	local := newScriptedLocal("Shopper")
	run, _ := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{})
	if cr := rm.waitType(t, wire.TypeClientReady); cr.NodeID != "herd_1" {
		t.Fatalf("client_ready from %q", cr.NodeID)
	}
	rm.send(t, "herd_1", wire.Ack{Index: 3, HasIndex: true})

	rm.send(t, "herd_1", spawnMsg(100, 2))
	rm.waitType(t, wire.TypeSpawning)
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 2 {
		t.Fatalf("spawning_complete %v, want Shopper: 2", c)
	}
	rm.send(t, "herd_1", spawnMsg(100, 5))  // same timestamp
	rm.send(t, "herd_1", spawnMsg(99.5, 6)) // older
	frame, err := wire.Encode(wire.Message{Type: wire.TypeSpawn, Data: []byte{0x81, 0xa9, 't', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xcb, 0x40, 0x69, 0, 0, 0, 0, 0, 0}, NodeID: "herd_1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.r.SendTo("herd_1", frame); err != nil { // timestamp 200 but no counts
		t.Fatal(err)
	}
	rm.send(t, "herd_1", spawnMsg(101, 1))
	for range 4 {
		rm.waitType(t, wire.TypeSpawning)
	}
	// The next spawning_complete is the last spawn's: the others made none.
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 1 {
		t.Fatalf("spawning_complete %v, want Shopper: 1", c)
	}
	local.mu.Lock()
	applied := slices.Clone(local.applied)
	local.mu.Unlock()
	if len(applied) != 2 || applied[0]["Shopper"] != 2 || applied[1]["Shopper"] != 1 {
		t.Errorf("applied %v, want Shopper 2 then 1", applied)
	}

	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	rm.waitType(t, wire.TypeQuit)
	types := rm.types()
	if n := len(types); n < 2 || types[n-2] != wire.TypeStats || types[n-1] != wire.TypeQuit {
		t.Errorf("the worker's last messages %v, want its final stats, then quit", types[max(0, n-5):])
	}
	if local.stops.Load() != 1 {
		t.Error("the users were not stopped on quit")
	}
}

// zmtpPeer is one accepted connection of a hand-made ZMTP master.
type zmtpPeer struct {
	nc net.Conn
	br *bufio.Reader
}

func acceptZMTP(t *testing.T, ln net.Listener) *zmtpPeer {
	t.Helper()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	br, err := zmtpHandshake(nc, "ROUTER", "")
	if err != nil {
		t.Fatal(err)
	}
	return &zmtpPeer{nc: nc, br: br}
}

// next reads messages until one of type typ; any of the types in not
// before it fails the test.
func (p *zmtpPeer) next(t *testing.T, typ string, not ...string) wire.Message {
	t.Helper()
	for {
		flags, body, err := readZMTPFrame(p.br)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if flags&0x04 != 0 {
			continue // a command
		}
		m, err := wire.Decode(body)
		if err == nil && m.Type == typ {
			return m
		}
		if err == nil && slices.Contains(not, m.Type) {
			t.Fatalf("got %s while waiting for %s", m.Type, typ)
		}
	}
}

func (p *zmtpPeer) write(t *testing.T, b []byte) {
	t.Helper()
	if _, err := p.nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

func (p *zmtpPeer) send(t *testing.T, pl wire.Payload) {
	t.Helper()
	b, err := wire.EncodePayload("herd_1", pl)
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, zmtpFrame(b, false))
}

// TestWorkerSurvivesMalformedMasterFrames: a multi-frame message or an
// undecodable frame from the master is dropped, not fatal; an oversized
// frame drops the connection, and the worker reconnects with the same
// identity and carries on without registering again.
func TestWorkerSurvivesMalformedMasterFrames(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	local := newScriptedLocal("Shopper")
	run, _ := runWorker(t, "tcp://"+ln.Addr().String(), "herd_1", local, WorkerOptions{})
	p := acceptZMTP(t, ln)
	p.next(t, wire.TypeClientReady)
	p.send(t, wire.Ack{Index: 0, HasIndex: true})
	p.write(t, append(zmtpFrame([]byte("part one"), true), zmtpFrame([]byte("part two"), false)...))
	p.write(t, zmtpFrame([]byte("not msgpack"), false))
	p.send(t, spawnMsg(1, 3))
	if c := decodeCounts(t, p.next(t, wire.TypeSpawningComplete)); c["Shopper"] != 3 {
		t.Fatalf("spawning_complete %v", c)
	}

	p.write(t, []byte{0x02, 0, 0, 0x01, 0, 0, 0, 0, 0}) // a 1 TiB frame
	p = acceptZMTP(t, ln)
	p.next(t, wire.TypeHeartbeat, wire.TypeClientReady) // carries on, registered
	p.send(t, spawnMsg(2, 1))
	if c := decodeCounts(t, p.next(t, wire.TypeSpawningComplete)); c["Shopper"] != 1 {
		t.Fatalf("spawning_complete %v", c)
	}
	p.send(t, wire.Signal{Type: wire.TypeQuit})
	p.next(t, wire.TypeQuit)
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	if local.users() != 0 {
		t.Error("users left running")
	}
}
