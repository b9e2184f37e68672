package stats

import (
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// Totals is one entry's cumulative figures as an exporter reads them
// (see [Stats.Visit]).
type Totals struct {
	Key
	Failures uint64
	Size     uint64 // bytes of every response body
	// Hist holds every response time of the entry: its Count is the
	// entry's Requests, as in a Snapshot. Read it only during the call.
	Hist *histogram.Histogram
}

// Visit calls fn with every entry's totals, in no particular order, under
// the statistics' lock: fn must be quick and must not call the Stats. It
// returns when counting started and the open model's iterations, started
// and dropped. It reads the very figures a Snapshot copies, histograms
// included, without copying them: live exporters (Prometheus, OTLP) use it
// so that their counters are the run's own.
func (s *Stats) Visit(fn func(*Totals)) (start time.Time, iterations, dropped uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t Totals
	for _, c := range s.entries {
		t = Totals{Key: c.key, Failures: c.failures, Size: c.size, Hist: &c.hist}
		fn(&t)
	}
	return s.start, s.iterations, s.dropped
}
