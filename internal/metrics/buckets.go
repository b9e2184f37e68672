package metrics

import (
	"math"

	"github.com/herdload/herd/internal/histogram"
)

// classicBounds are the upper bounds, in microseconds, of the classic
// histogram buckets: 0.5 ms to 8.192 s, doubling. Each is 125·2^k µs, a
// number of at most 7 significant bits, so it is a boundary of herd's
// histogram buckets (64 per power of two): every one of herd's buckets lies
// wholly below or wholly above it, and the classic counts are exact. (herd
// records microseconds, so "≤ le" reads "< le + 1 µs".)
var classicBounds = [...]uint64{
	500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000,
	1_024_000, 2_048_000, 4_096_000, 8_192_000,
}

const (
	// maxSchema is the finest exponential resolution exported: 2^5 = 32
	// buckets per power of two, each 2.2% wide, a little coarser than
	// herd's own buckets (0.8%–1.6%).
	maxSchema = 5
	// minSchema is the coarsest the formats allow.
	minSchema = -4
	// maxSpan bounds the exponential buckets of one histogram from the
	// first to the last (empty ones between included): past it the schema
	// drops, halving the resolution, as client_golang and the OpenTelemetry
	// SDK do (both default to 160).
	maxSpan = 160
)

// bucket is one non-empty exponential bucket: index i covers
// (base^(i-1), base^i] seconds with base = 2^(2^-schema), Prometheus'
// convention (OTLP's index is i-1).
type bucket struct {
	index int32
	count uint64
}

// maxSchemaBounds[k] is 2^(k/2^maxSchema - 1): the bounds, from 0.5 to 1,
// of the buckets a power of two splits into.
var maxSchemaBounds = func() (b [1<<maxSchema + 1]float64) {
	for k := range b {
		b[k] = math.Exp2(float64(k)/(1<<maxSchema) - 1)
	}
	b[0], b[len(b)-1] = 0.5, 1 // exactly
	return b
}()

// expIndex is the index at maxSchema of the exponential bucket holding
// v > 0. With v = frac·2^exp (frac in [0.5, 1)), it is the first bound k
// with frac ≤ maxSchemaBounds[k], found by comparison rather than by a
// logarithm (as client_golang does), so that a power of two is exactly an
// upper bound: 1 is the top of bucket 0.
func expIndex(v float64) int32 {
	frac, exp := math.Frexp(v)
	k, n := 0, len(maxSchemaBounds)
	for n > 0 {
		half := n / 2
		if frac > maxSchemaBounds[k+half] {
			k += half + 1
			n -= half + 1
		} else {
			n = half
		}
	}
	return int32(exp-1)<<maxSchema + int32(k)
}

// convert appends h's exponential buckets to dst and returns them with
// their schema, and adds h's counts per classic bucket (not cumulative) to
// classic, whose last element counts what lies above every bound.
//
// Each of herd's buckets [lo, hi) µs goes whole to the exponential bucket
// of its midpoint, so a value is counted in a bucket that lies within half
// of herd's bucket of it: at most 0.5 µs, or 1/128 (0.78%) of the value,
// herd's own precision. Counts and sums stay exact.
func convert(dst []bucket, h *histogram.Histogram, classic *[len(classicBounds) + 1]uint64) ([]bucket, int32) {
	first := len(dst)
	j := 0 // the classic bucket of the current one of herd's
	h.Buckets(func(b histogram.Bucket) {
		for j < len(classicBounds) && b.Hi > classicBounds[j] {
			j++
		}
		classic[j] += b.Count
		mid := float64(b.Lo+b.Hi) / 2e6 // seconds
		i := expIndex(mid)
		if n := len(dst); n > first && dst[n-1].index == i {
			dst[n-1].count += b.Count
			return
		}
		dst = append(dst, bucket{index: i, count: b.Count})
	})
	bs := dst[first:]
	schema := int32(maxSchema)
	for schema > minSchema && len(bs) > 0 && bs[len(bs)-1].index-bs[0].index >= maxSpan {
		bs = halve(bs)
		schema--
	}
	return dst[:first+len(bs)], schema
}

// halve merges bs, sorted by index, into the buckets of the schema below,
// in place: bucket i becomes ceil(i/2), where (base^(i-1), base^i] lies.
func halve(bs []bucket) []bucket {
	out := bs[:0]
	for _, b := range bs {
		b.index = (b.index + 1) >> 1 // ceil(i/2), negative i included
		if n := len(out); n > 0 && out[n-1].index == b.index {
			out[n-1].count += b.count
			continue
		}
		out = append(out, b)
	}
	return out
}
