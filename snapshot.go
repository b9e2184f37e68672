package herd

import (
	"slices"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// The run's statistics as user code sees them (Quit.Stats). They are copies
// of the internal snapshot the reports render, made once, at the end of the
// run, so these types can show their fields and keep the internal table of
// percentiles to themselves.

// StatsSnapshot is the run's statistics at one moment: per-endpoint and
// total counts, response times, rates, failures and errors.
type StatsSnapshot struct {
	Time     time.Time     // when the snapshot was taken
	Start    time.Time     // when the statistics started (or were last reset)
	Duration time.Duration // from Start to Time
	Users    int           // users running when it was taken

	Entries  []StatsEntry      // one per (method, name), sorted by name then method
	Total    StatsEntry        // every entry together: Method "", Name "Aggregated"
	Failures []StatsFailureRow // failed requests by method, name and error, most frequent first
	Errors   []StatsErrorRow   // errors and panics raised by user code, most frequent first

	// Iterations and Dropped count an open-model (--arrival-rate) run's
	// iterations: those started, and those that were due when every user
	// of the pool was busy, so never ran. Both are 0 in closed-model runs.
	Iterations, Dropped uint64

	// MaxNames is the --max-names cap on distinct endpoints, 0 for none.
	// NamesOverflowed is set when the run had more than it (or a worker
	// more than its own): the requests of the endpoints past it are
	// counted in one entry, named OverflowName, with Method "".
	MaxNames        int
	NamesOverflowed bool
}

// OverflowName is the name of the entry that counts the requests of the
// endpoints past --max-names.
const OverflowName = stats.OverflowName

// StatsEntry is the statistics of one endpoint (a method and a name), or of
// them all (StatsSnapshot.Total). Response times are service times, from
// just before sending to the end of the response.
type StatsEntry struct {
	Method string // request kind: "GET", "POST", or a custom client's kind
	Name   string

	Requests uint64 // all of them, failures included
	Failures uint64
	// Interrupted counts the failures that were still in flight when their
	// user was killed at the stop ("interrupted at stop: no response"): the
	// target got them, herd cut them short. Their response times are the
	// time they had waited, a lower bound.
	Interrupted uint64

	Min, Max, Mean, Median time.Duration // response times; see also Percentile
	TotalSize              uint64        // bytes of every response body

	RPS        float64 // requests per second over the whole run
	FailPerSec float64 // failures per second over the whole run
	// CurrentRPS and CurrentFailPerSec cover about the last 10 seconds.
	CurrentRPS        float64
	CurrentFailPerSec float64

	LastRequest time.Time // wall-clock time of the last recorded request

	// Intended is set in open-model (--arrival-rate) runs: response times
	// from each request's intended start, which include how late its
	// iteration began. Comparing them with the service times shows
	// coordinated omission.
	Intended *StatsTiming

	percentiles []time.Duration // one per stats.Percentiles
}

// Percentile is the response time within which the share q of the requests
// completed, q from 0 to 1 as in Locust (0.95 for the 95th percentile).
// Reports show the quantiles 0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99,
// 0.999, 0.9999 and 1: for those it is exact to the histogram's precision
// (under 1%); for another q it is the value of the next of them up, an
// upper bound. Percentile(0) is Min, Percentile(1) is Max; an entry without
// requests gives 0.
func (e StatsEntry) Percentile(q float64) time.Duration {
	return stats.QuantileOf(e.percentiles, e.Min, q)
}

// AvgSize is the mean response body size in bytes, 0 without requests.
func (e StatsEntry) AvgSize() float64 {
	if e.Requests == 0 {
		return 0
	}
	return float64(e.TotalSize) / float64(e.Requests)
}

// FailRatio is failures over requests (0 to 1), 0 without requests.
func (e StatsEntry) FailRatio() float64 {
	if e.Requests == 0 {
		return 0
	}
	return float64(e.Failures) / float64(e.Requests)
}

// StatsTiming summarises response times measured another way than an
// entry's own (StatsEntry.Intended).
type StatsTiming struct {
	Min, Max, Mean, Median time.Duration

	percentiles []time.Duration
}

// Percentile is the time within which the share q (0 to 1) of the requests
// completed, as StatsEntry.Percentile.
func (t StatsTiming) Percentile(q float64) time.Duration {
	return stats.QuantileOf(t.percentiles, t.Min, q)
}

// StatsFailureRow counts the failed requests of one endpoint with one error
// message (Locust's failures table).
type StatsFailureRow struct {
	Method, Name string
	Error        string // the failure's bounded message, e.g. "HTTP 503 Service Unavailable"
	Occurrences  uint64
}

// StatsErrorRow counts one kind of error or panic raised by user code, the
// same message from the same place (Locust's exceptions table).
type StatsErrorRow struct {
	Message string
	Trace   string // the first occurrence's stack, or where it was returned
	Count   uint64
	Nodes   []string // the workers that saw it (distributed runs); empty otherwise
}

// newStatsSnapshot is s as user code sees it; nil for nil.
func newStatsSnapshot(s *stats.Snapshot) *StatsSnapshot {
	if s == nil {
		return nil
	}
	out := &StatsSnapshot{
		Time: s.Time, Start: s.Start, Duration: s.Duration, Users: s.Users,
		Entries:    make([]StatsEntry, len(s.Entries)),
		Total:      newStatsEntry(&s.Total),
		Failures:   make([]StatsFailureRow, len(s.Failures)),
		Errors:     make([]StatsErrorRow, len(s.Errors)),
		Iterations: s.Iterations, Dropped: s.Dropped,
		MaxNames: s.MaxNames, NamesOverflowed: s.NamesOverflowed,
	}
	for i := range s.Entries {
		out.Entries[i] = newStatsEntry(&s.Entries[i])
	}
	for i, f := range s.Failures {
		out.Failures[i] = StatsFailureRow{Method: f.Method, Name: f.Name, Error: f.Error, Occurrences: f.Occurrences}
	}
	for i, e := range s.Errors {
		out.Errors[i] = StatsErrorRow{Message: e.Message, Trace: e.Trace, Count: e.Count, Nodes: slices.Clone(e.Nodes)}
	}
	return out
}

func newStatsEntry(e *stats.Entry) StatsEntry {
	out := StatsEntry{
		Method: e.Method, Name: e.Name, Requests: e.Requests, Failures: e.Failures, Interrupted: e.Interrupted,
		Min: e.Min, Max: e.Max, Mean: e.Mean, Median: e.Median, TotalSize: e.TotalSize,
		RPS: e.RPS, FailPerSec: e.FailPerSec, CurrentRPS: e.CurrentRPS, CurrentFailPerSec: e.CurrentFailPerSec,
		LastRequest: e.LastRequest,
		percentiles: slices.Clone(e.Percentiles),
	}
	if t := e.Intended; t != nil {
		out.Intended = &StatsTiming{Min: t.Min, Max: t.Max, Mean: t.Mean, Median: t.Median, percentiles: slices.Clone(t.Percentiles)}
	}
	return out
}
