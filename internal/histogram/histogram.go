// Package histogram records latencies in a bounded, mergeable log-linear
// histogram (the HDR idea) with microsecond resolution.
//
// Values below 128 µs are kept exactly; above that every power of two is split
// into 64 equal buckets, so a bucket's midpoint is within 1/128 (0.78%) of any
// value it holds. Buckets are allocated one power of two at a time, on first
// use: a typical endpoint (1 ms–1 s) costs about 5 KB, an idle one under 0.5 KB.
// That is why herd does not use hdrhistogram-go, whose dense arrays cost ~26 KB
// per histogram for the same range and precision, multiplied by every endpoint,
// shard and window herd keeps.
//
// A Histogram is not safe for concurrent use; the stats package shards them.
package histogram

import (
	"math"
	"math/bits"
	"time"
)

const (
	subBits  = 6
	subCount = 1 << subBits // buckets per power of two
	// groups covers every uint64: group 0 holds [0,64), group g≥1 holds
	// [2^(g+5), 2^(g+6)).
	groups = 64 - subBits + 1
)

// Histogram counts durations at microsecond resolution. The zero value is
// ready to use.
type Histogram struct {
	chunks [groups]*[subCount]uint64
	count  uint64
	sum    time.Duration // exact, for the mean
	min    time.Duration
	max    time.Duration
}

// index maps a value in microseconds to its (group, offset) bucket.
func index(us uint64) (g, off int) {
	if us < subCount {
		return 0, int(us)
	}
	k := bits.Len64(us) - 1 // 2^k <= us < 2^(k+1), k >= subBits
	return k - subBits + 1, int(us>>(k-subBits)) - subCount
}

// bounds returns the [lo, hi) range in microseconds of a bucket.
func bounds(g, off int) (lo, hi uint64) {
	if g == 0 {
		return uint64(off), uint64(off) + 1
	}
	shift := g - 1
	lo = uint64(subCount+off) << shift
	return lo, lo + 1<<shift
}

// Record adds one duration. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	h.RecordN(d, 1)
}

// RecordN adds n occurrences of one duration.
func (h *Histogram) RecordN(d time.Duration, n uint64) {
	if n == 0 {
		return
	}
	if d < 0 {
		d = 0
	}
	g, off := index(uint64(d / time.Microsecond))
	c := h.chunks[g]
	if c == nil {
		c = new([subCount]uint64)
		h.chunks[g] = c
	}
	c[off] += n
	if h.count == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.count += n
	h.sum += d * time.Duration(n)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.count }

// Sum is the exact sum of recorded values.
func (h *Histogram) Sum() time.Duration { return h.sum }

// Min is the exact smallest recorded value, or 0 when empty.
func (h *Histogram) Min() time.Duration { return h.min }

// Max is the exact largest recorded value, or 0 when empty.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the exact mean, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return h.sum / time.Duration(h.count)
}

// Quantile returns the value below or at which a fraction q (0..1) of the
// recorded values fall: the midpoint of the bucket holding the value of rank
// ceil(q·count), clamped to the exact min and max. It returns 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	var out [1]time.Duration
	h.Quantiles([]float64{q}, out[:])
	return out[0]
}

// Quantiles fills out[i] with Quantile(qs[i]) in one pass over the buckets.
// qs must be sorted ascending and out at least as long as qs.
func (h *Histogram) Quantiles(qs []float64, out []time.Duration) {
	if h.count == 0 {
		clear(out[:len(qs)])
		return
	}
	i := 0
	for ; i < len(qs) && qs[i] <= 0; i++ {
		out[i] = h.min
	}
	var seen uint64
	for g, c := range h.chunks {
		if c == nil {
			continue
		}
		for off, n := range c {
			if n == 0 {
				continue
			}
			seen += n
			for i < len(qs) && qs[i] < 1 && seen >= rankOf(qs[i], h.count) {
				lo, hi := bounds(g, off)
				mid := time.Duration(lo+hi) * time.Microsecond / 2
				out[i] = min(max(mid, h.min), h.max)
				i++
			}
			if i == len(qs) {
				return
			}
		}
	}
	for ; i < len(qs); i++ {
		out[i] = h.max
	}
}

// rankOf is the 1-based rank of quantile q among n values.
func rankOf(q float64, n uint64) uint64 {
	return max(uint64(math.Ceil(q*float64(n))), 1)
}

// Merge adds every value of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	for g, oc := range o.chunks {
		if oc == nil {
			continue
		}
		c := h.chunks[g]
		if c == nil {
			c = new([subCount]uint64)
			h.chunks[g] = c
		}
		for i, n := range oc {
			c[i] += n
		}
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.count += o.count
	h.sum += o.sum
}

// Reset empties h but keeps its buckets allocated, so a histogram that is
// drained and refilled every second does not allocate.
func (h *Histogram) Reset() {
	if h.count == 0 {
		return
	}
	for _, c := range h.chunks {
		if c != nil {
			clear(c[:])
		}
	}
	h.count, h.sum, h.min, h.max = 0, 0, 0, 0
}

// Clone returns a deep copy of h.
func (h *Histogram) Clone() *Histogram {
	c := &Histogram{count: h.count, sum: h.sum, min: h.min, max: h.max}
	for g, oc := range h.chunks {
		if oc != nil {
			cp := *oc
			c.chunks[g] = &cp
		}
	}
	return c
}

// Bucket is one non-empty bucket: values in [Lo, Hi) microseconds.
type Bucket struct {
	Lo, Hi uint64
	Count  uint64
}

// Buckets calls fn for every non-empty bucket in ascending order. It is how
// exporters (exact wire formats, Locust's rounded buckets) read a histogram.
func (h *Histogram) Buckets(fn func(Bucket)) {
	for g, c := range h.chunks {
		if c == nil {
			continue
		}
		for off, n := range c {
			if n != 0 {
				lo, hi := bounds(g, off)
				fn(Bucket{Lo: lo, Hi: hi, Count: n})
			}
		}
	}
}

// Bytes reports the memory held by h's buckets, for capacity planning.
func (h *Histogram) Bytes() int {
	n := 0
	for _, c := range h.chunks {
		if c != nil {
			n += subCount * 8
		}
	}
	return n
}

// SetSummary replaces the exact count-independent summary (min, max and
// sum) of a histogram built from approximate buckets, such as Locust's
// rounded response times, with the exact figures its source also sent.
func (h *Histogram) SetSummary(minimum, maximum, sum time.Duration) {
	if h.count == 0 {
		return
	}
	h.min, h.max, h.sum = minimum, max(maximum, minimum), sum
}
