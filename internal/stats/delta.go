package stats

import (
	"github.com/herdload/herd/internal/failure"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// Delta is everything recorded between two reports: what a worker sends
// its master every few seconds (Locust's reports are deltas too). The
// histograms are exact, so a master that merges them reports the same
// percentiles one process would.
type Delta struct {
	Start, End time.Time
	Entries    []DeltaEntry
	Failures   []Failure
	Errors     []Error
	// Iterations and Dropped are open-model iterations started and dropped.
	Iterations, Dropped uint64
}

// DeltaEntry is one (method, name) pair's share of a Delta.
type DeltaEntry struct {
	Key
	Requests, Failures uint64
	Size               uint64
	Hist               *histogram.Histogram
	// Intended is the open-model histogram from the intended start; nil
	// when the entry has none.
	Intended    *histogram.Histogram
	LastRequest time.Time // zero when it had no request
	// HistBinary and IntendedBinary are Hist and Intended as a herd
	// worker's report carries them, encoded (histogram.MarshalBinary):
	// when Hist is nil, Merge adds them bucket by bucket without decoding
	// them into histograms of their own, which is most of what a master
	// with many workers saves. A corrupt encoding is skipped: check them
	// first (histogram.BinaryCount).
	HistBinary, IntendedBinary []byte
}

// TakeDelta drains every shard and returns all that was recorded since the
// previous TakeDelta (or New, or Reset), then starts a new delta at now.
// Nothing recorded concurrently is lost: it lands in the next delta. A
// Stats used this way (by a worker) is never ticked.
func (s *Stats) TakeDelta(now time.Time) *Delta {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	d := &Delta{Start: s.start, End: now, Iterations: s.iterations, Dropped: s.dropped}
	for _, c := range s.sortedLocked() {
		e := DeltaEntry{Key: c.key, Requests: c.hist.Count(), Failures: c.failures, Size: c.size,
			Hist: c.hist.Clone()}
		if c.intended.Count() > 0 {
			e.Intended = c.intended.Clone()
		}
		if c.hist.Count() > 0 {
			e.LastRequest = now
		}
		d.Entries = append(d.Entries, e)
	}
	for k, n := range s.failures {
		d.Failures = append(d.Failures, Failure{Method: k.Method, Name: k.Name, Error: k.Error, Occurrences: n})
	}
	for k, e := range s.errors {
		d.Errors = append(d.Errors, Error{Message: k.Message, Trace: e.trace, Count: e.count})
	}
	s.resetLocked(now)
	return d
}

// Merge adds a delta reported by a worker (node names it in the error
// table). The requests count in the current second's window slot, like
// the local ones recorded since the last tick.
func (s *Stats) Merge(d *Delta, node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cut map[Key]uint64 // requests interrupted at the stop, for the observer
	if s.observer != nil {
		for _, f := range d.Failures {
			if f.Error == failure.InterruptedMessage {
				if cut == nil {
					cut = map[Key]uint64{}
				}
				cut[Key{f.Method, f.Name}] += f.Occurrences
			}
		}
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Requests == 0 && e.Failures == 0 {
			continue
		}
		k := s.admittedLocked(e.Key)
		c := s.entryLocked(k)
		if e.Hist == nil && e.HistBinary != nil {
			if !s.mergeBinaryLocked(c, e, cut[e.Key]) {
				continue
			}
		} else {
			s.mergeDecodedLocked(c, e, cut[e.Key])
		}
		c.spreadWindow(e.Requests, e.Failures, d.Start, d.End)
		s.total.spreadWindow(e.Requests, e.Failures, d.Start, d.End)

		if e.LastRequest.After(c.lastRequest) {
			c.lastRequest = e.LastRequest
		}
	}
	s.iterations += d.Iterations
	s.dropped += d.Dropped
	if d.End.After(s.reported) {
		s.reported = d.End
	}
	for _, f := range d.Failures {
		k := s.admittedLocked(Key{f.Method, f.Name})
		s.addFailureLocked(failKey{k.Method, k.Name, f.Error}, f.Occurrences)
	}
	for _, e := range d.Errors {
		have := s.addErrorLocked(errKey{Message: e.Message, Origin: e.Trace}, e.Trace, e.Count)
		if node != "" {
			have.addNode(node)
		}
	}
}

// mergeDecodedLocked adds an entry into c and the total; cut is its
// requests interrupted at the stop, for the observer.
func (s *Stats) mergeDecodedLocked(c *cumulative, e *DeltaEntry, cut uint64) {
	dl := delta{requests: e.Requests, failures: e.Failures, size: e.Size}
	if e.Hist != nil {
		dl.hist = *e.Hist
	}
	if e.Intended != nil {
		dl.intended = *e.Intended
	}
	c.add(&dl)
	s.total.add(&dl)
	if s.observer != nil {
		s.observer(c.key, dl.requests, dl.failures-min(cut, dl.failures), &dl.hist)
	}
}

// mergeBinaryLocked is mergeDecodedLocked for an entry whose histograms
// are encoded (see DeltaEntry.HistBinary): each is checked once and added
// to the entry's and the total's histograms in one pass. It reports false,
// having changed nothing, when the encoding is corrupt (an intended one
// that is corrupt is left out).
func (s *Stats) mergeBinaryLocked(c *cumulative, e *DeltaEntry, cut uint64) bool {
	var into [4]*histogram.Histogram
	if histogram.MergeBinary(e.HistBinary, s.total.binaryTargets(c.binaryTargets(into[:0], false), false)...) != nil {
		return false
	}
	c.addCounts(e.Requests, e.Failures, e.Size)
	s.total.addCounts(e.Requests, e.Failures, e.Size)
	if e.IntendedBinary != nil {
		histogram.MergeBinary(e.IntendedBinary, s.total.binaryTargets(c.binaryTargets(into[:0], true), true)...)
	}
	if s.observer != nil {
		s.observed.Reset()
		histogram.MergeBinary(e.HistBinary, &s.observed)
		s.observer(c.key, e.Requests, e.Failures-min(cut, e.Failures), &s.observed)
	}
	return true
}
