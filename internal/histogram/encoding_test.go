package histogram

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestEncodingRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 10, 10_000} {
		var h Histogram
		for range n {
			h.Record(time.Duration(r.ExpFloat64() * float64(30*time.Millisecond)))
		}
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Histogram
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if got.Count() != h.Count() || got.Sum() != h.Sum() || got.Min() != h.Min() || got.Max() != h.Max() {
			t.Fatalf("n=%d: summary differs", n)
		}
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
			if got.Quantile(q) != h.Quantile(q) {
				t.Errorf("n=%d q=%v: %v != %v", n, q, got.Quantile(q), h.Quantile(q))
			}
		}
		if n == 10_000 && len(b) > 2000 {
			t.Errorf("10,000 values encode to %d bytes", len(b))
		}
	}
}

func TestDecodeRejectsCorruptInput(t *testing.T) {
	t.Parallel()
	var h Histogram
	h.Record(time.Millisecond)
	h.Record(time.Second)
	good, _ := h.MarshalBinary()
	bad := [][]byte{
		nil,
		{0},
		{2, 0, 0, 0, 0},
		good[:len(good)-1],
		append(append([]byte(nil), good...), 1, 1), // a bucket past the total
		{1, 1, 0, 0, 0}, // count 1, no bucket
		{1, 0, 2, 0, 0}, // sum without values
	}
	for i, b := range bad {
		if err := h.UnmarshalBinary(b); err == nil {
			t.Errorf("case %d (%x) decoded", i, b)
		}
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	var h Histogram
	for _, d := range []time.Duration{0, 50 * time.Microsecond, time.Millisecond, time.Hour} {
		h.Record(d)
	}
	good, _ := h.MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var h Histogram
		if err := h.UnmarshalBinary(data); err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes and be usable.
		again, _ := h.MarshalBinary()
		var h2 Histogram
		if err := h2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded histogram does not decode: %v", err)
		}
		_ = h.Quantile(0.99)
	})
}

func TestMergeBinaryEqualsMerge(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var a, b, b2 Histogram
	for _, n := range []int{0, 1, 30, 5000} {
		var o Histogram
		for range n {
			o.Record(time.Duration(r.ExpFloat64() * float64(20*time.Millisecond)))
		}
		enc, err := o.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if c, err := BinaryCount(enc); err != nil || c != o.Count() {
			t.Fatalf("BinaryCount = %d, %v; want %d", c, err, o.Count())
		}
		a.Merge(&o)
		if err := MergeBinary(enc, &b, &b2); err != nil {
			t.Fatal(err)
		}
	}
	ea, _ := a.MarshalBinary()
	eb, _ := b.MarshalBinary()
	eb2, _ := b2.MarshalBinary()
	if string(ea) != string(eb) || string(eb) != string(eb2) {
		t.Error("MergeBinary and Merge differ")
	}
	before, _ := b.MarshalBinary()
	for _, bad := range [][]byte{nil, {2}, {1, 5, 0, 0, 0, 3, 1}, {1, 1, 0, 0, 0, 0, 2}} {
		if err := MergeBinary(bad, &b); err == nil {
			t.Errorf("MergeBinary(%v) accepted", bad)
		}
		if _, err := BinaryCount(bad); err == nil {
			t.Errorf("BinaryCount(%v) accepted", bad)
		}
	}
	if after, _ := b.MarshalBinary(); string(after) != string(before) {
		t.Error("a corrupt encoding changed the histogram")
	}
}

func BenchmarkMergeBinary(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var o Histogram
	for range 30 {
		o.Record(time.Duration(r.ExpFloat64() * float64(30*time.Millisecond)))
	}
	enc, _ := o.MarshalBinary()
	var h Histogram
	b.ReportAllocs()
	for b.Loop() {
		if err := MergeBinary(enc, &h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMergeDecoded(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var o Histogram
	for range 30 {
		o.Record(time.Duration(r.ExpFloat64() * float64(30*time.Millisecond)))
	}
	enc, _ := o.MarshalBinary()
	var h, tmp Histogram
	b.ReportAllocs()
	for b.Loop() {
		if err := tmp.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
		h.Merge(&tmp)
	}
}
