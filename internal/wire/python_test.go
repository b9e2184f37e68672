package wire

import (
	"bufio"
	"context"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// msgpackPython is the interpreter that has msgpack-python (Debian's, as
// Locust uses it).
const msgpackPython = "/usr/bin/python3"

// TestEncodingMatchesMsgpackPython checks that what EncodeValue and the
// typed encoders write is msgpack-python's canonical form: unpacking with
// Locust's options and packing again gives the same bytes. It covers every
// size boundary of integers, strings, bin, arrays and maps.
func TestEncodingMatchesMsgpackPython(t *testing.T) {
	if _, err := os.Stat(msgpackPython); err != nil {
		t.Skip("no " + msgpackPython)
	}
	probe := exec.Command(msgpackPython, "-c", "import msgpack")
	if probe.Run() != nil {
		t.Skip("msgpack-python not installed")
	}
	var values []any
	for _, n := range []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64} {
		values = append(values, n)
	}
	values = append(values, uint64(math.MaxUint64), 0.0, math.Copysign(0, -1), 1.5, 1e300, math.Inf(1), float32(0.25), true, false, nil)
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		values = append(values, strings.Repeat("é", n/2)+strings.Repeat("x", n%2), make([]byte, n))
	}
	for _, n := range []int{0, 15, 16, 65536} {
		values = append(values, make([]int, n))
		m := map[string]int{}
		for i := range n {
			m[strings.Repeat("k", 1+i%7)+string(rune('a'+i%26))+strings.Repeat("z", i/182)] = i
		}
		values = append(values, m)
	}
	values = append(values, Map{{int64(1), "a"}, {1.5, nil}, {"s", []any{Map{}}}}, map[any]any{int64(2): 1, "x": 2})
	var frames [][]byte
	for _, v := range values {
		raw, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("EncodeValue(%T): %v", v, err)
		}
		frames = append(frames, raw)
	}
	method := ""
	rt := FloatNumber(147.3)
	for _, p := range []Payload{
		ClientReadyVersion(LocustVersion), ClientReadySkipCheck(), Ack{Index: 3},
		Heartbeat{State: StateRunning, CurrentCPUUsage: 12.5, CurrentMemoryUsage: 1 << 40},
		SpawningComplete{UserClassesCount: map[string]int{"A": 1, "B": 2}, UserCount: 3},
		StatsReport{
			Stats: []StatsEntry{{Name: "/", Method: &method, TotalResponseTime: rt, MaxResponseTime: rt, MinResponseTime: &rt,
				ResponseTimes: []ResponseTimeCount{{FloatNumber(150), 1}, {IntNumber(3), 2}},
				NumReqsPerSec: []SecondCount{{1795759392, 1}}}},
			StatsTotal: StatsEntry{Name: "Aggregated"},
			Errors:     map[string]StatsError{"k": {Name: "/", Method: "GET", Error: "boom", Occurrences: 2}},
		},
		Exception{Msg: "m", Traceback: "t"},
		Custom{Type: "x", Data: map[string]any{"when": map[string]any{"__datetime__": true, "as_str": "20240102T03:04:05.678901"}}},
	} {
		frame, err := EncodePayload("vm_0123", p)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
	script := `
import sys, msgpack
for line in sys.stdin:
    b = bytes.fromhex(line.strip())
    again = msgpack.packb(msgpack.unpackb(b, raw=False, strict_map_key=False))
    print("ok" if again == b else "differs " + again.hex())
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, msgpackPython, "-c", script)
	var in strings.Builder
	for _, f := range frames {
		in.WriteString(hex.EncodeToString(f) + "\n")
	}
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<24)
	i := 0
	for ; sc.Scan(); i++ {
		if sc.Text() != "ok" {
			t.Errorf("frame %d (% .40x...) re-packs differently in Python", i, frames[i])
		}
	}
	if i != len(frames) {
		t.Errorf("Python answered %d of %d frames", i, len(frames))
	}
}
