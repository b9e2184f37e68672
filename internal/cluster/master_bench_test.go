package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// discardRouter is a master's socket that receives nothing and drops
// what the master sends, so benchmarks measure the master alone.
type discardRouter struct{ stop chan struct{} }

func (d discardRouter) Recv(ctx context.Context) (string, []byte, error) {
	select {
	case <-ctx.Done():
		return "", nil, ctx.Err()
	case <-d.stop:
		return "", nil, context.Canceled
	}
}
func (discardRouter) SendTo(string, []byte) error { return nil }
func (d discardRouter) Close() error              { close(d.stop); return nil }

// benchMaster is a master with n registered herd workers.
func benchMaster(b *testing.B, n int) (*Master, []string) {
	b.Helper()
	opts := MasterOptions{Classes: []Class{{Name: "U", Weight: 1}}, Tick: time.Hour}
	opts.defaults()
	m := newMaster(opts, discardRouter{stop: make(chan struct{})}, 0)
	b.Cleanup(m.Close)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-w%05d", i)
		frame, err := wire.EncodePayload(ids[i], wire.ClientReadyVersion(wire.LocustVersion))
		if err != nil {
			b.Fatal(err)
		}
		m.handleFrame(ids[i], frame)
		m.mu.Lock()
		m.workers[ids[i]].herd, m.workers[ids[i]].heartbeats = true, true // answered, as herd workers are
		m.mu.Unlock()
	}
	return m, ids
}

// BenchmarkMasterHeartbeat is one heartbeat from one of 1,000 workers:
// decoded, recorded and answered (the answer encoded; the socket is not
// measured). 1,000 workers send 1,000 a second: ns/op × 1,000 is the
// master's nanoseconds per second for them.
func BenchmarkMasterHeartbeat(b *testing.B) {
	m, ids := benchMaster(b, 1000)
	frames := make([][]byte, len(ids))
	for i, id := range ids {
		var err error
		frames[i], err = wire.EncodePayload(id, wire.Heartbeat{State: wire.StateRunning, CurrentCPUUsage: 12.5,
			CurrentMemoryUsage: 48 << 20})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.handleFrame(ids[i], frames[i])
		i = (i + 1) % len(ids)
	}
}

// BenchmarkMasterDispatch1000 is one spawn dispatched to 1,000 workers:
// the placement, and 1,000 spawn messages encoded and queued.
func BenchmarkMasterDispatch1000(b *testing.B) {
	m, _ := benchMaster(b, 1000)
	m.mu.Lock()
	m.running, m.host = true, "http://127.0.0.1:8089"
	m.mu.Unlock()
	b.ReportAllocs()
	n := 10_000
	for b.Loop() {
		n++ // a new count each time, as a ramp's steps
		if !m.dispatchTo(n, context.Background()) {
			b.Fatal("dispatch refused")
		}
	}
}
