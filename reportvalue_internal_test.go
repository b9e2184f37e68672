package herd

import (
	"math"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/herdload/herd/internal/wire"
)

// TestReportValuesFromMsgpack: a worker report's custom data encoded with
// every msgpack width (as Locust's Python workers and herd's Go workers
// send them) and decoded as the master decodes it (wire.DecodeValue) reads
// back as one Go type each.
func TestReportValuesFromMsgpack(t *testing.T) {
	t.Parallel()
	sent := map[string]any{
		"fixint": int8(7), "int8": int8(-100), "uint16": uint16(60000), "int32": int32(-2_000_000_000),
		"int64": int64(1) << 40, "uint64": uint64(math.MaxUint64), "float32": float32(2.5),
		"float": 3.0, "fraction": 1.25, "huge": 1e19, "str": "a", "bin": []byte("b"), "nil": nil,
		"nested": map[string]any{"/a": uint8(12), "/b": 4.0}, "intkeys": map[int]int{1: 2},
	}
	raw, err := msgpack.Marshal(sent)
	if err != nil {
		t.Fatal(err)
	}
	v, err := wire.DecodeValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	data := v.(map[string]any)
	type want struct {
		i      int64
		iok    bool
		f      float64
		fok    bool
		s      string
		sok    bool
		mapped bool
	}
	tests := map[string]want{
		"fixint":   {i: 7, iok: true, f: 7, fok: true},
		"int8":     {i: -100, iok: true, f: -100, fok: true},
		"uint16":   {i: 60000, iok: true, f: 60000, fok: true},
		"int32":    {i: -2_000_000_000, iok: true, f: -2e9, fok: true},
		"int64":    {i: 1 << 40, iok: true, f: 1 << 40, fok: true},
		"uint64":   {f: math.MaxUint64, fok: true}, // no int64 holds it
		"float32":  {f: 2.5, fok: true},
		"float":    {i: 3, iok: true, f: 3, fok: true}, // Python's 3.0
		"fraction": {f: 1.25, fok: true},
		"huge":     {f: 1e19, fok: true},
		"str":      {s: "a", sok: true},
		"bin":      {s: "b", sok: true},
		"nil":      {},
		"missing":  {},
		"nested":   {mapped: true},
		"intkeys":  {},
	}
	for key, w := range tests {
		i, iok := ReportInt(data, key)
		f, fok := ReportFloat(data, key)
		s, sok := ReportString(data, key)
		_, mapped := ReportMap(data, key)
		if i != w.i || iok != w.iok || f != w.f || fok != w.fok || s != w.s || sok != w.sok || mapped != w.mapped {
			t.Errorf("%s (%T): int %d %v, float %v %v, string %q %v, map %v; want %+v", key, data[key], i, iok, f, fok, s, sok, mapped, w)
		}
	}
	nested, _ := ReportMap(data, "nested")
	a, _ := ReportInt(nested, "/a")
	b, _ := ReportInt(nested, "/b")
	if a+b != 16 {
		t.Errorf("nested sums to %d, want 16", a+b)
	}
}

// TestReportIntGoTypes: values a listener puts in a map itself (not
// through msgpack) read the same, and floats out of int64's range do not.
func TestReportIntGoTypes(t *testing.T) {
	t.Parallel()
	for _, v := range []any{int(5), int8(5), int16(5), int32(5), int64(5), uint(5), uint8(5), uint16(5), uint32(5), uint64(5), float32(5), 5.0} {
		if n, ok := ReportInt(map[string]any{"k": v}, "k"); !ok || n != 5 {
			t.Errorf("%T: %d %v", v, n, ok)
		}
	}
	for _, f := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), 0x1p63, -0x1p64, 0.5} {
		if n, ok := ReportInt(map[string]any{"k": f}, "k"); ok {
			t.Errorf("%v: %d, want no int", f, n)
		}
	}
	if n, ok := ReportInt(map[string]any{"k": -0x1p63}, "k"); !ok || n != math.MinInt64 {
		t.Errorf("-2^63: %d %v", n, ok)
	}
}
