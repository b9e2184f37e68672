package wire

import (
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// decodeHeartbeatReader is DecodeHeartbeat as it was, over reader: the
// reference the cursor-based one is held to.
func decodeHeartbeatReader(data msgpack.RawMessage) (Heartbeat, error) {
	r, err := newReader(data)
	if err != nil {
		return Heartbeat{}, err
	}
	var h Heartbeat
	var haveState, haveCPU bool
	err = r.fields("heartbeat", func(key string) error {
		var err error
		switch key {
		case "state":
			haveState = true
			h.State, err = r.str("heartbeat.state")
		case "current_cpu_usage":
			haveCPU = true
			h.CurrentCPUUsage, err = r.float("heartbeat.current_cpu_usage")
		case "current_memory_usage":
			var n Number
			n, err = r.number("heartbeat.current_memory_usage")
			if err == nil {
				var exact bool
				if h.CurrentMemoryUsage, exact = n.Int64(); !exact {
					err = invalidf("heartbeat.current_memory_usage: %s is not an integer", n)
				}
			}
		default:
			err = r.skip(keyPath("heartbeat", key))
		}
		return err
	})
	if err != nil {
		return Heartbeat{}, err
	}
	if !haveState || !haveCPU {
		return Heartbeat{}, invalidf("heartbeat: missing state or current_cpu_usage")
	}
	return h, nil
}

func heartbeatSeeds(t testing.TB) [][]byte {
	enc := func(v any) []byte {
		b, err := EncodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return [][]byte{
		enc(Map{{"state", "running"}, {"current_cpu_usage", 12.5}, {"current_memory_usage", int64(1 << 40)}}),
		enc(Map{{"state", "ready"}, {"current_cpu_usage", uint8(3)}}),
		enc(Map{{"state", "other"}, {"current_cpu_usage", float32(1.5)}, {"current_memory_usage", 2.0}, {"x", []any{nil}}}),
		enc(Map{{"state", "spawning"}, {"current_cpu_usage", 1}, {"current_memory_usage", 2.5}}),
		enc(Map{{"state", 1}, {"current_cpu_usage", 1}}),
		enc(Map{{"current_cpu_usage", 1}}),
		enc(Map{{"state", "ready"}, {"current_cpu_usage", nil}}),
		enc(Map{{"state", "ready"}, {"current_cpu_usage", uint64(1 << 63)}}),
		enc([]any{"state"}),
	}
}

func checkHeartbeat(t *testing.T, data []byte) {
	t.Helper()
	want, errWant := decodeHeartbeatReader(data)
	got, errGot := DecodeHeartbeat(data)
	sameCPU := want.CurrentCPUUsage == got.CurrentCPUUsage ||
		want.CurrentCPUUsage != want.CurrentCPUUsage && got.CurrentCPUUsage != got.CurrentCPUUsage // NaN
	if (errWant == nil) != (errGot == nil) || want.State != got.State || want.CurrentMemoryUsage != got.CurrentMemoryUsage || !sameCPU {
		t.Fatalf("DecodeHeartbeat = %+v, %v; the reader's %+v, %v", got, errGot, want, errWant)
	}
}

func TestDecodeHeartbeatMatchesReader(t *testing.T) {
	t.Parallel()
	for _, data := range heartbeatSeeds(t) {
		checkHeartbeat(t, data)
	}
}

func TestDecodeHeartbeatAllocations(t *testing.T) {
	data := heartbeatSeeds(t)[0]
	if n := testing.AllocsPerRun(100, func() { DecodeHeartbeat(data) }); n > 0 {
		t.Errorf("%v allocations per heartbeat", n)
	}
}

func FuzzDecodeHeartbeat(f *testing.F) {
	for _, data := range heartbeatSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(checkHeartbeat)
}
