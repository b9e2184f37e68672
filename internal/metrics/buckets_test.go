package metrics

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// TestClassicBoundsAreHistogramBoundaries: a value just below a bound and
// the bound itself fall in different buckets of herd's histogram, so no
// bucket straddles a bound and the classic counts are exact.
func TestClassicBoundsAreHistogramBoundaries(t *testing.T) {
	t.Parallel()
	for _, le := range classicBounds {
		var h histogram.Histogram
		h.Record(time.Duration(le-1) * time.Microsecond)
		h.Record(time.Duration(le) * time.Microsecond)
		var bs []histogram.Bucket
		h.Buckets(func(b histogram.Bucket) { bs = append(bs, b) })
		if len(bs) != 2 || bs[0].Hi != le || bs[1].Lo != le {
			t.Errorf("%d µs is not a bucket boundary: %+v", le, bs)
		}
	}
}

func TestExpIndex(t *testing.T) {
	t.Parallel()
	// At schema 5 bucket i is (2^((i-1)/32), 2^(i/32)].
	for _, tc := range []struct {
		v    float64
		want int32
	}{
		{1, 0},                   // powers of two are upper bounds
		{2, 32},                  //
		{0.5, -32},               //
		{1.01, 1},                // (1, 1.0219]
		{1.03, 2},                // (1.0219, 1.0443]
		{math.Exp2(1.0 / 32), 1}, // an upper bound
		{math.Nextafter(math.Exp2(1.0/32), 2), 2},
		{1.99, 32},    // (1.9576, 2]
		{0.001, -318}, // 32·log2(0.001) = -318.9
		{5e-7, -669},  // herd's smallest midpoint, 0.5 µs
		{3600, 379},   // an hour: 32·log2(3600) = 378.04
	} {
		if got := expIndex(tc.v); got != tc.want {
			t.Errorf("expIndex(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
	// Away from the bounds, the logarithm agrees.
	for v := 1e-7; v < 1e5; v *= 1.0007 {
		want := int32(math.Ceil(math.Log2(v) * (1 << maxSchema)))
		if got := expIndex(v); got != want && math.Abs(math.Log2(v)*(1<<maxSchema)-math.Round(math.Log2(v)*(1<<maxSchema))) > 1e-9 {
			t.Fatalf("expIndex(%v) = %d, the logarithm says %d", v, got, want)
		}
	}
}

func TestHalve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want []bucket
	}{
		{nil, nil},
		// (i+1)>>1 is ceil(i/2): 1,2 → 1; 3,4 → 2; 0,-1 → 0; -2,-3 → -1.
		{[]bucket{{1, 1}, {2, 2}, {3, 4}}, []bucket{{1, 3}, {2, 4}}},
		{[]bucket{{-3, 1}, {-2, 1}, {-1, 1}, {0, 1}}, []bucket{{-1, 2}, {0, 2}}},
	} {
		got := halve(slices.Clone(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("halve(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// checkConversion converts a histogram of ds and checks what docs/metrics.md
// promises: every count and the sum exact, classic buckets exact, each
// value in an exponential bucket at most 0.5 µs or 1/128 of it away.
func checkConversion(t *testing.T, ds []time.Duration) {
	t.Helper()
	var h histogram.Histogram
	for _, d := range ds {
		h.Record(d)
	}
	var classic [len(classicBounds) + 1]uint64
	prefix := []bucket{{index: 99, count: 7}} // conversion appends
	out, schema := convert(prefix, &h, &classic)
	if out[0] != (bucket{99, 7}) {
		t.Fatal("convert changed what it appends to")
	}
	bs := out[1:]
	if schema > maxSchema || schema < minSchema {
		t.Fatalf("schema %d", schema)
	}
	if len(bs) > 0 && bs[len(bs)-1].index-bs[0].index >= maxSpan {
		t.Errorf("span %d at schema %d", bs[len(bs)-1].index-bs[0].index+1, schema)
	}
	var total uint64
	for i, b := range bs {
		if i > 0 && b.index <= bs[i-1].index {
			t.Fatalf("buckets out of order: %v", bs)
		}
		total += b.count
	}
	if total != uint64(len(ds)) {
		t.Errorf("exponential buckets count %d, want %d", total, len(ds))
	}
	var wantClassic [len(classicBounds) + 1]uint64
	for _, d := range ds {
		us := uint64(max(d, 0) / time.Microsecond)
		j, _ := slices.BinarySearch(classicBounds[:], us+1) // first bound > us
		wantClassic[j]++
	}
	if classic != wantClassic {
		t.Errorf("classic %v, want %v", classic, wantClassic)
	}
	// Every value has a bucket, with its count, within the promised distance.
	base := math.Exp2(math.Exp2(-float64(schema)))
	left := map[int32]uint64{}
	for _, b := range bs {
		left[b.index] = b.count
	}
	for _, d := range ds {
		v := max(d, 0).Seconds()
		slack := max(0.5e-6, v/128)
		found := false
		for i, n := range left {
			lo, hi := math.Pow(base, float64(i-1)), math.Pow(base, float64(i))
			if n > 0 && v >= lo-slack && v <= hi+slack {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%v is in no bucket within %g s (schema %d, %v)", d, slack, schema, bs)
		}
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	for name, ds := range map[string][]time.Duration{
		"empty":       nil,
		"exact range": {0, time.Microsecond, 63 * time.Microsecond, 499 * time.Microsecond},
		"bounds":      {500 * time.Microsecond, 999 * time.Microsecond, time.Millisecond, 8192 * time.Millisecond, time.Hour},
		"typical":     {3 * time.Millisecond, 4 * time.Millisecond, 40 * time.Millisecond, 120 * time.Millisecond, 900 * time.Millisecond},
		"wide":        {time.Microsecond, time.Hour, 24 * time.Hour},
	} {
		t.Run(name, func(t *testing.T) { checkConversion(t, ds) })
	}
}

// TestConvertLowersTheSchema: values from 1 µs to an hour span 32 powers
// of two, more than maxSpan buckets at schema 3: the schema drops.
func TestConvertLowersTheSchema(t *testing.T) {
	t.Parallel()
	var h histogram.Histogram
	h.Record(time.Millisecond)
	var classic [len(classicBounds) + 1]uint64
	if _, schema := convert(nil, &h, &classic); schema != maxSchema {
		t.Errorf("one value: schema %d, want %d", schema, maxSchema)
	}
	h.Record(time.Microsecond)
	h.Record(time.Hour)
	if _, schema := convert(nil, &h, &classic); schema != 2 {
		t.Errorf("1 µs to 1 h: schema %d, want 2 (32 powers of two × 4 < 160)", schema)
	}
}

// FuzzConvert checks the conversion's promises on any set of durations.
func FuzzConvert(f *testing.F) {
	f.Add(int64(1500), int64(2_000_000), int64(3))
	f.Add(int64(0), int64(1), int64(1))
	f.Add(int64(-5), int64(3_600_000_000_000), int64(64))
	f.Fuzz(func(t *testing.T, a, b, n int64) {
		n = n%200 + 1
		if n < 0 {
			n = -n
		}
		ds := make([]time.Duration, n)
		for i := range ds { // a spread between a and b
			ds[i] = time.Duration(a + (b-a)/n*int64(i))
		}
		checkConversion(t, ds)
	})
}
