package cluster

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
)

// fuzzSenders are the routing ids a fuzzed frame can come from.
var fuzzSenders = []string{"w_a", "w_b", "w_c", "\xff\xfe"}

// fuzzFrames joins frames into one fuzz input: per frame a sender byte, a
// big-endian uint16 length and the frame.
func fuzzFrames(frames ...[]byte) []byte {
	var out []byte
	for i, f := range frames {
		out = append(out, byte(i%2))
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

// splitFuzzFrames undoes fuzzFrames on arbitrary input.
func splitFuzzFrames(data []byte, each func(sender string, frame []byte)) {
	for len(data) >= 3 {
		sender := fuzzSenders[int(data[0])%len(fuzzSenders)]
		n := int(binary.BigEndian.Uint16(data[1:3]))
		data = data[3:]
		n = min(n, len(data))
		each(sender, data[:n])
		data = data[n:]
	}
}

func encodeFor(f *testing.F, node string, p wire.Payload) []byte {
	b, err := wire.EncodePayload(node, p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzMasterHandle feeds sequences of arbitrary frames from a few senders
// into the master's message handling, with a test running and liveness
// ticks in between, then dispatches: nothing may panic, and the master's
// view must stay sane.
func FuzzMasterHandle(f *testing.F) {
	m, err := StartMaster(context.Background(), MasterOptions{Bind: "tcp://127.0.0.1:0", Tick: time.Hour,
		Liveness: 1, RemoveAfter: time.Nanosecond, Rebalance: true,
		OnDelta:  func(*stats.Delta, string) {},
		OnCustom: func(string, string, any) {}})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()

	// Seeds: a herd worker's life, a Locust worker's, and real frames.
	rec := newScriptedLocal("Shopper")
	rec.rec.request("GET", "/x", 12*time.Millisecond, 10, "HTTP 500")
	rec.rec.error("boom", "trace")
	d := rec.st.TakeDelta(time.Now())
	herdReport, err := toReport(d, map[string]int{"Shopper": 2}, []Class{{Name: "Shopper", Weight: 3}})
	if err != nil {
		f.Fatal(err)
	}
	locustReport := herdReport
	locustReport.Extra = nil
	for _, node := range []string{"w_a", "w_b"} {
		f.Add(fuzzFrames(
			encodeFor(f, node, wire.ClientReadyVersion("2.12.1")),
			encodeFor(f, node, wire.Heartbeat{State: wire.StateRunning, CurrentCPUUsage: 3}),
			encodeFor(f, node, herdReport),
			encodeFor(f, node, locustReport),
			encodeFor(f, node, wire.Signal{Type: wire.TypeSpawning}),
			encodeFor(f, node, wire.SpawningComplete{UserClassesCount: map[string]int{"Shopper": 2}, UserCount: 2}),
			encodeFor(f, node, wire.Exception{Msg: "boom", Traceback: "tb"}),
			encodeFor(f, node, wire.Custom{Type: "hello", Data: map[string]any{"n": 1}}),
			encodeFor(f, node, wire.Signal{Type: wire.TypeClientStopped}),
			encodeFor(f, node, wire.ClientReadySkipCheck()),
			encodeFor(f, node, wire.Signal{Type: wire.TypeQuit}),
		))
	}
	vectors, _ := filepath.Glob(filepath.Join("..", "wire", "testdata", "vectors", "*.bin"))
	for _, v := range vectors {
		if b, err := os.ReadFile(v); err == nil {
			f.Add(fuzzFrames(b))
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		m.mu.Lock()
		m.workers, m.indexes, m.learned = map[string]*worker{}, map[string]int{}, map[string]Class{}
		m.herdNodes, m.stopping, m.owed = map[string]bool{}, map[string]bool{}, map[string]owing{}
		m.running, m.placed, m.quitting = len(data)%2 == 0, len(data)%5, len(data)%3 == 0
		m.mu.Unlock()
		i := 0
		splitFuzzFrames(data, func(sender string, frame []byte) {
			m.handleFrame(sender, frame)
			if i++; i%4 == 0 {
				m.tick(time.Now())
			}
		})
		m.dispatchTo(7, context.Background())

		if n := m.UserCount(); n < 0 {
			t.Errorf("user count %d", n)
		}
		for name, n := range m.CountsByType() {
			if n < 0 {
				t.Errorf("%d users of %q", n, name)
			}
		}
		for _, w := range m.Workers() {
			switch w.State {
			case wire.StateReady, wire.StateSpawning, wire.StateRunning, "missing":
			default:
				t.Errorf("worker %+v", w)
			}
		}
		classes := m.Classes()
		if len(classes) > maxLearnedClasses {
			t.Errorf("%d classes learnt", len(classes))
		}
		weights := 0
		for _, c := range classes {
			if c.Name == "" || c.Weight < 0 || c.Weight > maxClassWeight || c.FixedCount < 0 || c.FixedCount > maxClassWeight {
				t.Errorf("class %+v learnt", c)
			}
			weights += c.Weight
		}
		if len(classes)*weights > maxDispatchCost {
			t.Errorf("classes of total weight %d learnt", weights)
		}
	})
}
