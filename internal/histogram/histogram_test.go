package histogram

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactQuantile is the reference: the value of rank ceil(q·n) in sorted order.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	if q >= 1 {
		return sorted[len(sorted)-1]
	}
	r := max(int(math.Ceil(q*float64(len(sorted)))), 1)
	return sorted[r-1]
}

func TestQuantileAccuracy(t *testing.T) {
	t.Parallel()
	qs := []float64{0, 0.01, 0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1}
	dists := []struct {
		name string
		gen  func(r *rand.Rand) time.Duration
	}{
		{"uniform 0-2ms", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(2 * time.Millisecond))) }},
		{"lognormal ~20ms", func(r *rand.Rand) time.Duration {
			return time.Duration(math.Exp(r.NormFloat64()*0.8) * float64(20*time.Millisecond))
		}},
		{"bimodal 1ms/1s", func(r *rand.Rand) time.Duration {
			if r.IntN(10) == 0 {
				return time.Second + time.Duration(r.Int64N(int64(time.Second)))
			}
			return time.Millisecond + time.Duration(r.Int64N(int64(time.Millisecond)))
		}},
		{"exponential 100ms", func(r *rand.Rand) time.Duration {
			return time.Duration(r.ExpFloat64() * float64(100*time.Millisecond))
		}},
		{"huge", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(100 * time.Hour))) }},
	}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			vals := make([]time.Duration, 100_000)
			var sum time.Duration
			for i := range vals {
				vals[i] = d.gen(r)
				sum += vals[i]
				h.Record(vals[i])
			}
			slices.Sort(vals)
			out := make([]time.Duration, len(qs))
			h.Quantiles(qs, out)
			for i, q := range qs {
				want := exactQuantile(vals, q)
				got := h.Quantile(q)
				if got != out[i] {
					t.Errorf("q=%v: Quantile %v != Quantiles %v", q, got, out[i])
				}
				// Within 1/128 of the value (plus the µs truncation).
				tol := time.Duration(float64(want)/128) + time.Microsecond
				if diff := got - want; diff > tol || -diff > tol {
					t.Errorf("q=%v: got %v, exact %v (tolerance %v)", q, got, want, tol)
				}
			}
			if h.Min() != vals[0] || h.Max() != vals[len(vals)-1] {
				t.Errorf("min/max = %v/%v, want %v/%v", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
			}
			if h.Count() != uint64(len(vals)) || h.Sum() != sum {
				t.Errorf("count/sum = %d/%v, want %d/%v", h.Count(), h.Sum(), len(vals), sum)
			}
		})
	}
}

func TestMergeEqualsSingle(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var all, a, b Histogram
	for i := range 10_000 {
		d := time.Duration(r.Int64N(int64(5 * time.Second)))
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{}) // empty merges are no-ops
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("q=%v: merged %v, single %v", q, m.Quantile(q), all.Quantile(q))
		}
	}
	if m.Count() != all.Count() || m.Sum() != all.Sum() || m.Min() != all.Min() || m.Max() != all.Max() {
		t.Errorf("merged summary differs: %+v vs %+v", m, all)
	}
	c := all.Clone()
	all.Reset()
	if all.Count() != 0 || all.Quantile(0.5) != 0 || all.Mean() != 0 {
		t.Errorf("reset histogram not empty")
	}
	if c.Count() != 10_000 {
		t.Errorf("clone shares state with the original")
	}
}

func TestEdgeValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", []time.Duration{42 * time.Millisecond}, 0.5, 42 * time.Millisecond},
		{"negative is zero", []time.Duration{-time.Second}, 1, 0},
		{"sub-microsecond", []time.Duration{300, 400}, 1, 400},
		{"exact below 64µs", []time.Duration{10 * time.Microsecond, 20 * time.Microsecond, 30 * time.Microsecond}, 0.5, 20*time.Microsecond + 500},
		{"max int64", []time.Duration{math.MaxInt64}, 0.5, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Histogram
			for _, d := range tt.in {
				h.Record(d)
			}
			if got := h.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestBucketsCoverEveryValue(t *testing.T) {
	t.Parallel()
	var h Histogram
	for _, us := range []uint64{0, 1, 63, 64, 127, 128, 129, 1000, 1 << 20, 1<<40 + 12345} {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	var n uint64
	prev := uint64(0)
	h.Buckets(func(b Bucket) {
		if b.Lo < prev || b.Hi <= b.Lo {
			t.Errorf("bucket out of order: %+v after %d", b, prev)
		}
		prev = b.Hi
		n += b.Count
	})
	if n != h.Count() {
		t.Errorf("buckets hold %d values, want %d", n, h.Count())
	}
	for us := uint64(0); us < 1<<16; us++ {
		g, off := index(us)
		lo, hi := bounds(g, off)
		if us < lo || us >= hi {
			t.Fatalf("value %d in bucket [%d,%d)", us, lo, hi)
		}
		if w := hi - lo; w > 1 && float64(w)/float64(lo) > 1.0/64+1e-12 {
			t.Fatalf("bucket [%d,%d) wider than 1/64", lo, hi)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	ds := make([]time.Duration, 1024)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range ds {
		ds[i] = time.Duration(r.Int64N(int64(time.Second)))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(ds[i&1023])
	}
}

func BenchmarkQuantiles(b *testing.B) {
	var h Histogram
	r := rand.New(rand.NewPCG(7, 8))
	for range 100_000 {
		h.Record(time.Duration(r.ExpFloat64() * float64(50*time.Millisecond)))
	}
	qs := []float64{0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1}
	out := make([]time.Duration, len(qs))
	b.ReportAllocs()
	for b.Loop() {
		h.Quantiles(qs, out)
	}
}
