package stats

import (
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// slot is one closed tick of an entry's sliding window.
type slot struct {
	span               time.Duration
	requests, failures uint64
	hist               *histogram.Histogram // only for windowed entries
}

// cumulative is one entry's statistics since the start, plus a ring of the
// last windowTicks ticks for "current" rates and percentiles.
type cumulative struct {
	key         Key
	failures    uint64
	size        uint64
	hist        histogram.Histogram
	lastRequest time.Time

	windowed bool // keep per-slot histograms for current percentiles
	pending  slot // the tick being filled
	slots    [windowTicks]slot
	next     int // ring position of the next slot to close
}

func (c *cumulative) add(d *delta) {
	c.failures += d.failures
	c.size += d.size
	c.hist.Merge(&d.hist)
	c.pending.requests += d.requests
	c.pending.failures += d.failures
	if c.windowed {
		if c.pending.hist == nil {
			c.pending.hist = new(histogram.Histogram)
		}
		c.pending.hist.Merge(&d.hist)
	}
}

// closeSlot ends the current tick, which lasted span, at now.
func (c *cumulative) closeSlot(now time.Time, span time.Duration) {
	if c.pending.requests > 0 {
		c.lastRequest = now
	}
	old := c.slots[c.next].hist
	c.pending.span = span
	c.slots[c.next] = c.pending
	c.next = (c.next + 1) % windowTicks
	// Reuse the histogram of the slot that just fell out of the window.
	if old != nil {
		old.Reset()
	}
	c.pending = slot{hist: old}
}

// currentRates are requests and failures per second over the window.
func (c *cumulative) currentRates() (rps, fps float64) {
	var span time.Duration
	var n, f uint64
	for i := range c.slots {
		span += c.slots[i].span
		n += c.slots[i].requests
		f += c.slots[i].failures
	}
	if span <= 0 {
		return 0, 0
	}
	return float64(n) / span.Seconds(), float64(f) / span.Seconds()
}

func (c *cumulative) entry(secs float64) Entry {
	e := Entry{
		Method:      c.key.Method,
		Name:        c.key.Name,
		Requests:    c.hist.Count(),
		Failures:    c.failures,
		Min:         c.hist.Min(),
		Max:         c.hist.Max(),
		Mean:        c.hist.Mean(),
		Percentiles: make([]time.Duration, len(Percentiles)),
		TotalSize:   c.size,
		LastRequest: c.lastRequest,
	}
	c.hist.Quantiles(Percentiles, e.Percentiles)
	e.Median = e.Percentiles[0]
	if secs > 0 {
		e.RPS = float64(e.Requests) / secs
		e.FailPerSec = float64(e.Failures) / secs
	}
	e.CurrentRPS, e.CurrentFailPerSec = c.currentRates()
	return e
}
