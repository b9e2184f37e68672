package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// The flood's limits: small, so that the test is quick and its memory
// figures are clear; the defaults scale them (32 MiB messages, 128 MiB
// budget, 30 s reads, 10 s to register).
var floodLimits = transport.Limits{
	MaxMessageSize: 4 << 20,
	MemoryBudget:   16 << 20,
	ReadTimeout:    time.Second,
	AdmitTimeout:   time.Second,
}

// floodConns is the number of hostile connections.
const floodConns = 100 + 100 + 100 + 50 + 40 + 30 + 30 + 20 + 20

// floodHeapBound is what the flood may add to the live heap: the budget,
// plus 96 KiB a connection. A connection costs about 40 KB, both ends
// counted (mostly its send queue of 1,000 slots); the rest is garbage
// made during the collections that sample the heap (buffers outgrown by
// the stalled messages). Measured: +33 to +42 MiB, the budget full. The
// same flood took the master of before the limits from 3.5 to 573 MiB.
const floodHeapBound = 16<<20 + floodConns*96<<10

// TestMasterPortFlood attacks the master's port with several hundred
// hostile connections during a run with two honest herd workers:
// oversized declarations, stalled frames before and after registering,
// peers that never register or never finish their handshake, connections
// that copy an honest worker's identity, forged stats (a million
// requests), quit and heartbeats in an honest worker's name, multi-frame
// and undecodable frames. The master's live heap stays within the budget
// plus a margin, every hostile connection but the registered ones is
// closed by the master, nothing forged is merged, the honest workers'
// counts are exactly what they recorded, the run ends normally, and the
// master's warnings about peers are a handful of lines.
func TestMasterPortFlood(t *testing.T) {
	// Not parallel: the heap is measured in-process.
	logs, logger := newLogs(t)
	sink := newSink()
	// Liveness 1.5 s: the fake workers go missing soon, the honest ones
	// (heartbeats every 20 ms) not even on a loaded machine.
	m, ep := fastMaster(t, MasterOptions{Logger: logger, Classes: []Class{{Name: "Shopper", Weight: 1}},
		OnDelta: sink.onDelta, Limits: floodLimits, Liveness: 15})
	addr := strings.TrimPrefix(ep, "tcp://")

	honest := map[string]*scriptedLocal{}
	runs := map[string]*workerRun{}
	for _, id := range []string{"honest_1", "honest_2"} {
		local := newScriptedLocal("Shopper")
		local.onTake = func(r *recorder, users, _ int) {
			for range min(users, 1) * 5 {
				r.request("GET", "/flood", 12*time.Millisecond, 100, "")
			}
		}
		honest[id] = local
		runs[id], _ = runWorker(t, ep, id, local, WorkerOptions{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	startAndWait(t, m, 4)

	// What the attackers send, built beforehand.
	forgedReport := func() []byte {
		st := stats.New(t0, stats.Options{Shards: 1})
		st.Shard(0).Record("GET", "/forged", time.Millisecond, 1, "")
		rep, err := toReport(st.TakeDelta(t0.Add(time.Second)), map[string]int{"Shopper": 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep.Stats[0].NumRequests, rep.StatsTotal.NumRequests, rep.Extra = 1_000_000, 1_000_000, nil
		return encode(t, "honest_1", rep)
	}()
	forged := [][]byte{
		forgedReport,
		encode(t, "honest_1", wire.Signal{Type: wire.TypeQuit}),
		encode(t, "honest_2", wire.Heartbeat{State: wire.StateReady}),
		encode(t, "honest_2", wire.ClientReadyVersion("2.12.1")),
	}
	stall := bytes.Repeat([]byte("s"), 3<<20) // shared: the attackers' own memory stays small
	declare := func(size uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte{0x02}, size)
	}

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := sampleHeap()

	var wg sync.WaitGroup
	var registered []net.Conn // closed by the test at the end
	var regMu sync.Mutex
	attack := func(n int, name string, closes bool, act func(nc net.Conn, id string) error) {
		for i := range n {
			wg.Go(func() {
				id := fmt.Sprintf("%s_%d", name, i)
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Errorf("%s: %v", id, err)
					return
				}
				if err := act(nc, id); err != nil {
					// Dropped already (MaxPending: the oldest pending
					// connections make room for new ones).
					nc.Close()
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() || !closes {
						t.Errorf("%s: %v", id, err)
					}
					return
				}
				if !closes {
					regMu.Lock()
					registered = append(registered, nc)
					regMu.Unlock()
					return
				}
				defer nc.Close()
				if err := awaitClosed(nc); err != nil {
					t.Errorf("%s: %v", id, err)
				}
			})
		}
	}
	handshake := func(nc net.Conn, id string) error {
		_, err := zmtpHandshake(nc, "DEALER", id)
		return err
	}
	write := func(nc net.Conn, id string, parts ...[]byte) error {
		if err := handshake(nc, id); err != nil {
			return err
		}
		bufs := net.Buffers(parts) // no copy: the attackers' memory stays out of the figures
		_, err := bufs.WriteTo(nc)
		return err
	}
	// Registered peers forging messages in an honest worker's name: they
	// register first (a flood of pending connections would drop them
	// before), and stay connected.
	attack(20, "insider", false, func(nc net.Conn, id string) error {
		br, err := zmtpHandshake(nc, "DEALER", id)
		if err != nil {
			return err
		}
		ready, err := wire.EncodePayload(id, wire.ClientReadyVersion("2.12.1"))
		if err != nil {
			return err
		}
		if _, err := nc.Write(zmtpFrame(ready, false)); err != nil {
			return err
		}
		if _, _, err := readZMTPFrame(br); err != nil { // the ack
			return err
		}
		bufs := net.Buffers{}
		for _, f := range forged {
			bufs = append(bufs, zmtpFrame(f, false))
		}
		_, err = bufs.WriteTo(nc)
		return err
	})
	wg.Wait()
	// Declares 1 TiB: dropped at the header.
	attack(100, "huge", true, func(nc net.Conn, id string) error { return write(nc, id, declare(1<<40)) })
	// Declares 4 MiB, sends 100 KB and stalls, never registered: waits
	// for an admission that never comes, holding no memory.
	attack(100, "stall", true, func(nc net.Conn, id string) error {
		return write(nc, id, declare(4<<20-64), stall[:100_000])
	})
	// Handshake, then nothing.
	attack(100, "idle", true, handshake)
	// Half a greeting, then nothing.
	attack(50, "greet", true, func(nc net.Conn, _ string) error { _, err := nc.Write(zmtpGreeting()[:10]); return err })
	// Registers, then stalls a 4 MiB frame after 3 MiB: holds memory
	// until its read timeout, within the budget.
	attack(40, "fake", true, func(nc net.Conn, id string) error {
		ready, err := wire.EncodePayload(id, wire.ClientReadyVersion("2.12.1"))
		if err != nil {
			return err
		}
		if err := write(nc, id, zmtpFrame(ready, false)); err != nil {
			return err
		}
		bufs := net.Buffers{declare(4<<20 - 64), stall}
		_, _ = bufs.WriteTo(nc) // fails once the master drops it
		return nil
	})
	// An honest worker's identity: refused while the worker lives.
	attack(30, "spoof", true, func(nc net.Conn, id string) error {
		victim := "honest_1"
		if strings.HasSuffix(id, "1") {
			victim = "honest_2"
		}
		quit, err := wire.EncodePayload(victim, wire.Signal{Type: wire.TypeQuit})
		if err != nil {
			return err
		}
		return write(nc, victim, zmtpFrame(quit, false))
	})
	// Forged messages in an honest worker's name, from unregistered peers.
	attack(30, "forger", true, func(nc net.Conn, id string) error {
		var frames [][]byte
		for _, f := range forged {
			frames = append(frames, zmtpFrame(f, false))
		}
		return write(nc, id, frames...)
	})
	// Multi-frame and undecodable frames.
	attack(20, "junk", true, func(nc net.Conn, id string) error {
		return write(nc, id, zmtpFrame([]byte("a"), true), zmtpFrame([]byte("b"), false),
			zmtpFrame([]byte("\xc1 not msgpack"), false))
	})
	wg.Wait()
	peakHeap := peak()
	grew := int64(peakHeap) - int64(base.HeapAlloc)
	t.Logf("%d hostile connections; live heap: %.1f MiB before, %.1f MiB at the peak (+%.1f MiB; bound +%.1f MiB)",
		floodConns, mib(base.HeapAlloc), mib(peakHeap), float64(grew)/(1<<20), mib(floodHeapBound))
	if grew > floodHeapBound {
		t.Errorf("the flood grew the live heap by %.1f MiB, more than %.1f MiB", float64(grew)/(1<<20), mib(floodHeapBound))
	}

	// The fake workers never heartbeat: they go missing and get nothing.
	poll(t, "the fake workers missing", func() bool {
		for _, w := range m.Workers() {
			if !strings.HasPrefix(w.ID, "honest_") && w.State != "missing" {
				return false
			}
		}
		return true
	})
	for id := range honest {
		if s := stateOf(m, id); s != wire.StateRunning {
			t.Errorf("%s is %q after the flood", id, s)
		}
	}
	if left := m.Stop(time.Second); left != 0 {
		t.Errorf("%d users left after the stop", left)
	}
	// A fake worker owes statistics only if an honest one went missing
	// and came back meanwhile (users are then placed on every worker).
	if missing := honestOnly(m.AwaitFinalReports(ctx)); missing != nil {
		t.Errorf("final reports missing: %v", missing)
	}
	if missing := honestOnly(m.Quit(testWait)); missing != nil {
		t.Errorf("Quit: statistics missing from %v", missing)
	}
	for id, r := range runs {
		if err := workerErr(t, r); err != nil {
			t.Errorf("%s ended with %v", id, err)
		}
	}
	for _, nc := range registered {
		nc.Close()
	}

	want := uint64(0)
	for _, l := range honest {
		want += uint64(l.recorded().requests)
	}
	if got := sink.entry("GET", "/flood").requests; got != want || want == 0 {
		t.Errorf("merged %d requests, the honest workers recorded %d", got, want)
	}
	if got := sink.requests(); got != want {
		t.Errorf("merged %d requests in all, want %d: something forged was merged", got, want)
	}
	sink.mu.Lock()
	for node := range sink.nodes {
		if honest[node] == nil {
			t.Errorf("statistics merged from %q", node)
		}
	}
	sink.mu.Unlock()
	// The peer problems: the first of each kind in full, the rest counted
	// (the summary comes when the 10 s period ends).
	peerLines := logs.count("WARN master: a peer") + logs.count("WARN master: dropping") + logs.count("WARN master: bad") +
		logs.count("WARN master: refusing") + logs.count("WARN master: more problems")
	t.Logf("%d warnings about peers logged", peerLines)
	if peerLines > 20 {
		t.Errorf("%d warnings about peers: not rate-limited", peerLines)
	}
}

// honestOnly is the honest workers among ids.
func honestOnly(ids []string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, "honest_") {
			out = append(out, id)
		}
	}
	return out
}

// encode is one frame of p from node.
func encode(t *testing.T, node string, p wire.Payload) []byte {
	t.Helper()
	b, err := wire.EncodePayload(node, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// awaitClosed reads until the master closes nc; an error if it does not
// within testWait (a hang guard).
func awaitClosed(nc net.Conn) error {
	if err := nc.SetReadDeadline(time.Now().Add(testWait)); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the master did not close the connection")
	}
	return nil
}

// sampleHeap samples the live heap (after a collection) every 20 ms until
// the returned function is called, which returns the largest sample.
func sampleHeap() func() uint64 {
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		return <-done
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
