package stats

import (
	"math"
	"time"
)

// Percentiles are the quantiles every report shows, as Locust does.
var Percentiles = []float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}

// TotalName is the name of the row that aggregates every entry (Locust's).
const TotalName = "Aggregated"

// Snapshot is an immutable copy of the statistics at one moment, taken off
// the hot path. Every report (console, CSV, JSON) renders one.
type Snapshot struct {
	Time     time.Time     // when the snapshot was taken
	Start    time.Time     // when the statistics started (or were last reset)
	Duration time.Duration // Time - Start, monotonic
	Users    int           // running users when taken

	Entries  []Entry   // one per (method, name), sorted by name then method
	Total    Entry     // every entry together; Method "", Name TotalName
	Failures []Failure // failed requests by (method, name, error), most frequent first
	Errors   []Error   // errors and panics raised by user code, most frequent first

	// Iterations and Dropped count an open-model (arrival-rate) run's
	// iterations: those started, and those that were due when every user
	// of the pool was busy, so never ran. Both are 0 in closed-model runs.
	Iterations, Dropped uint64

	// MaxNames is the cap on distinct entries (Options.MaxNames), 0 for
	// none. NamesOverflowed is set when requests were counted in the
	// OverflowName entry: the run had more distinct names than this cap,
	// or a worker's own, kept apart.
	MaxNames        int
	NamesOverflowed bool
}

// Entry is the statistics of one (method, name) pair, or of the total.
type Entry struct {
	Method string // request kind: "GET", "POST", or a custom protocol's kind
	Name   string

	Requests uint64
	Failures uint64
	// Interrupted counts the failures that were requests in flight when
	// their user was killed at the stop (failure.InterruptedMessage): the
	// target got them, herd cut them short.
	Interrupted uint64

	Min, Max, Mean, Median time.Duration
	// Percentiles holds one value per element of the package's Percentiles.
	Percentiles []time.Duration
	TotalSize   uint64 // bytes of every response body

	RPS        float64 // requests per second over the whole run
	FailPerSec float64 // failures per second over the whole run
	// CurrentRPS and CurrentFailPerSec cover about the last 10 seconds.
	CurrentRPS        float64
	CurrentFailPerSec float64

	LastRequest time.Time // wall-clock time of the last recorded request

	// Intended is set in open-model (arrival-rate) runs: response times
	// measured from each request's intended start, which include how late
	// its iteration began. The fields above are service times, from the
	// actual send. Comparing the two shows coordinated omission.
	Intended *Timing
}

// Timing summarises a set of response times.
type Timing struct {
	Min, Max, Mean, Median time.Duration
	// Percentiles holds one value per element of the package's Percentiles.
	Percentiles []time.Duration
}

// AvgSize is the mean body size in bytes, 0 without requests.
func (e *Entry) AvgSize() float64 {
	if e.Requests == 0 {
		return 0
	}
	return float64(e.TotalSize) / float64(e.Requests)
}

// FailRatio is failures over requests, 0 without requests.
func (e *Entry) FailRatio() float64 {
	if e.Requests == 0 {
		return 0
	}
	return float64(e.Failures) / float64(e.Requests)
}

// Percentile is the response time within which the share q (0 to 1) of the
// requests completed; see QuantileOf.
func (e *Entry) Percentile(q float64) time.Duration { return QuantileOf(e.Percentiles, e.Min, q) }

// Percentile is the response time within which the share q (0 to 1) of the
// timings fell; see QuantileOf.
func (t *Timing) Percentile(q float64) time.Duration { return QuantileOf(t.Percentiles, t.Min, q) }

// QuantileOf reads the q-quantile (0 to 1) from ps, one value per element
// of Percentiles: exact (to the histogram's precision) for those quantiles,
// else the value of the next one up, which bounds it from above. q ≤ 0 is
// lowest, the fastest time; q ≥ 1 the slowest; NaN or an empty ps give 0.
func QuantileOf(ps []time.Duration, lowest time.Duration, q float64) time.Duration {
	if len(ps) != len(Percentiles) || math.IsNaN(q) {
		return 0
	}
	if q <= 0 {
		return lowest
	}
	for i, p := range Percentiles {
		// A tolerance, so that 0.9999 finds its own entry whatever the
		// caller's arithmetic.
		if q <= p+1e-9 {
			return ps[i]
		}
	}
	return ps[len(ps)-1]
}

// Failure counts one kind of failed request.
type Failure struct {
	Method, Name, Error string
	Occurrences         uint64
}

// Error counts one kind of error or panic raised by user code (Locust's
// "exceptions"): same message and same origin.
type Error struct {
	Message string
	Trace   string // stack sample of the first occurrence, or where it was returned
	Count   uint64
	Nodes   []string // workers that saw it (distributed runs); empty locally
}

// HistoryRow is one per-second sample of an entry (or of the total) for
// charts and the stats history CSV.
type HistoryRow struct {
	Time   time.Time
	Users  int
	Method string
	Name   string

	CurrentRPS        float64
	CurrentFailPerSec float64
	// CurrentPercentiles covers about the last 10 seconds, one value per
	// element of Percentiles; nil when no request was seen in that window.
	CurrentPercentiles []time.Duration
	// CurrentIntended is the same from the intended start (open-model
	// runs), nil otherwise.
	CurrentIntended []time.Duration

	Requests, Failures     uint64
	Median, Mean, Min, Max time.Duration
	AvgSize                float64
}
