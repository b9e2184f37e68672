package stats

import (
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// slot is one closed tick of an entry's sliding window.
type slot struct {
	end                time.Time // when the tick closed
	span               time.Duration
	requests, failures uint64
	hist               *histogram.Histogram // only for windowed entries
	intended           *histogram.Histogram // windowed open-model entries only
}

// cumulative is one entry's statistics since the start, plus a ring of the
// last windowTicks ticks for "current" rates and percentiles.
type cumulative struct {
	key         Key
	failures    uint64
	size        uint64
	hist        histogram.Histogram
	intended    histogram.Histogram // open-model runs: from the intended start
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
	hasIntended := d.intended.Count() > 0
	if hasIntended {
		c.intended.Merge(&d.intended)
	}
	if c.windowed {
		if c.pending.hist == nil {
			c.pending.hist = new(histogram.Histogram)
		}
		c.pending.hist.Merge(&d.hist)
		if hasIntended {
			if c.pending.intended == nil {
				c.pending.intended = new(histogram.Histogram)
			}
			c.pending.intended.Merge(&d.intended)
		}
	}
}

// addCounts adds a delta's counters: add without the histograms, for a
// delta whose histograms are encoded (Stats.mergeBinaryLocked).
func (c *cumulative) addCounts(requests, failures, size uint64) {
	c.failures += failures
	c.size += size
	c.pending.requests += requests
	c.pending.failures += failures
}

// binaryTargets appends the histograms a delta's response times merge
// into (intended: its open-model ones), made on first use as add makes
// them.
func (c *cumulative) binaryTargets(hs []*histogram.Histogram, intended bool) []*histogram.Histogram {
	if intended {
		hs = append(hs, &c.intended)
		if c.windowed {
			if c.pending.intended == nil {
				c.pending.intended = new(histogram.Histogram)
			}
			hs = append(hs, c.pending.intended)
		}
		return hs
	}
	hs = append(hs, &c.hist)
	if c.windowed {
		if c.pending.hist == nil {
			c.pending.hist = new(histogram.Histogram)
		}
		hs = append(hs, c.pending.hist)
	}
	return hs
}

// closeSlot ends the current tick, which lasted span, at now.
func (c *cumulative) closeSlot(now time.Time, span time.Duration) {
	if c.pending.requests > 0 {
		c.lastRequest = now
	}
	old, oldIntended := c.slots[c.next].hist, c.slots[c.next].intended
	c.pending.span, c.pending.end = span, now
	c.slots[c.next] = c.pending
	c.next = (c.next + 1) % windowTicks
	// Reuse the histograms of the slot that just fell out of the window.
	if old != nil {
		old.Reset()
	}
	if oldIntended != nil {
		oldIntended.Reset()
	}
	c.pending = slot{hist: old, intended: oldIntended}
}

// currentRates are requests and failures per second over the window. On a
// master (reported is set) the window ends where the workers' reports end:
// the last seconds are not known yet, and counting them as empty would
// understate the rate.
func (c *cumulative) currentRates(reported time.Time) (rps, fps float64) {
	var span time.Duration
	var n, f uint64
	for i := range c.slots {
		s := &c.slots[i]
		if s.span <= 0 {
			continue
		}
		covered := s.span
		if !reported.IsZero() {
			covered = min(s.end.Sub(reported), s.span)
			covered = s.span - max(covered, 0)
			if covered <= 0 {
				continue
			}
		}
		span += covered
		n += s.requests
		f += s.failures
	}
	if span <= 0 {
		return 0, 0
	}
	return float64(n) / span.Seconds(), float64(f) / span.Seconds()
}

func (c *cumulative) entry(secs float64, reported time.Time) Entry {
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
	e.CurrentRPS, e.CurrentFailPerSec = c.currentRates(reported)
	if c.intended.Count() > 0 {
		e.Intended = timingOf(&c.intended)
	}
	return e
}

// timingOf summarises a histogram of response times.
func timingOf(h *histogram.Histogram) *Timing {
	t := &Timing{Min: h.Min(), Max: h.Max(), Mean: h.Mean(),
		Percentiles: make([]time.Duration, len(Percentiles))}
	h.Quantiles(Percentiles, t.Percentiles)
	t.Median = t.Percentiles[0]
	return t
}

// spreadWindow moves n requests and f failures that a worker made evenly
// over [from, to] from the pending slot into the closed window slots they
// overlap, so that reports arriving every few seconds give steady current
// rates. Whatever falls after the last closed slot stays pending; whatever
// falls before the window is dropped from it (never from the totals).
func (c *cumulative) spreadWindow(n, f uint64, from, to time.Time) {
	total := to.Sub(from)
	if total <= 0 || (n == 0 && f == 0) {
		return
	}
	var movedN, movedF uint64
	for i := range c.slots {
		s := &c.slots[i]
		if s.span <= 0 {
			continue
		}
		lo, hi := s.end.Add(-s.span), s.end
		if from.After(lo) {
			lo = from
		}
		if to.Before(hi) {
			hi = to
		}
		if !hi.After(lo) {
			continue
		}
		share := float64(hi.Sub(lo)) / float64(total)
		dn, df := uint64(float64(n)*share), uint64(float64(f)*share)
		s.requests += dn
		s.failures += df
		movedN += dn
		movedF += df
	}
	// Out of pending: what went to closed slots, and what predates them.
	oldest := to
	for i := range c.slots {
		if s := &c.slots[i]; s.span > 0 && s.end.Add(-s.span).Before(oldest) {
			oldest = s.end.Add(-s.span)
		}
	}
	if from.Before(oldest) {
		share := float64(oldest.Sub(from)) / float64(total)
		movedN += uint64(float64(n) * share)
		movedF += uint64(float64(f) * share)
	}
	c.pending.requests -= min(movedN, c.pending.requests)
	c.pending.failures -= min(movedF, c.pending.failures)
}
