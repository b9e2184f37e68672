package threshold

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herdload/herd/internal/histogram"

	"github.com/herdload/herd/internal/duration"
)

// Sample is one second's statistics of one endpoint, or of the total: what
// was recorded since the previous [Evaluator.Observe].
type Sample struct {
	Method, Name string
	// Total marks the total of all endpoints (Method and Name are then
	// ignored). Without a Total sample in a call, the total is the sum of
	// the endpoint samples.
	Total              bool
	Requests, Failures uint64
	// Hist holds the second's response times; nil when there were none.
	// The evaluator copies what it needs and never keeps Hist.
	Hist *histogram.Histogram
}

// Status is a threshold's state. It marshals to JSON as "pending", "pass" or
// "fail".
type Status uint8

const (
	// Pending: no data yet (live results only).
	Pending Status = iota
	// Pass: the condition holds.
	Pass
	// Fail: the condition is broken (or, at the end, could not be checked).
	Fail
)

// String returns "pending", "pass" or "fail".
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	default:
		return "pending"
	}
}

// MarshalText encodes s as its String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is one threshold's evaluation.
type Result struct {
	// Expr is the threshold in canonical form (Threshold.String).
	Expr      string    `json:"expr"`
	Threshold Threshold `json:"-"`
	Status    Status    `json:"status"`
	// NoData is set when there was nothing to evaluate: pending while
	// live, failed at the end.
	NoData bool `json:"no_data,omitempty"`
	// Value is the observed value in Unit: "ms" for response times, "ratio"
	// (0..1) for fail_ratio, "count" for failures and requests, "req/s"
	// for rps. At the end of the run a windowed threshold reports its
	// worst window. 0 when NoData.
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Observed is Value formatted for people: "312.4ms", "1.25%", "480/s",
	// "12"; "no data" when NoData.
	Observed string `json:"observed"`
	// FirstFailed is when the threshold was first seen broken; zero if it
	// never was. A threshold that passes now may have failed before.
	FirstFailed time.Time `json:"first_failed,omitzero"`
	// Abort is set when the run should stop now: the threshold is broken,
	// has the abort option, and its grace period since the start is over.
	Abort bool `json:"abort,omitempty"`

	final bool // a windowed threshold's end-of-run verdict (worst window)
}

// Message explains the result in one line: "p95 312.4ms, want <300ms",
// "worst fail_ratio[30s] 7.5%, want <5%" (a windowed threshold at the end of
// the run), "no requests for GET /cart", "no requests in the last 30s".
func (r Result) Message() string {
	t := r.Threshold
	if r.NoData {
		msg := "no requests"
		if t.scope != "" {
			msg += " for " + t.scope
		}
		if t.window > 0 && r.Status == Pending {
			msg += " in the last " + duration.Format(t.window)
		}
		return msg
	}
	msg := t.condition() + " " + r.Observed + ", want " + opText[t.op] + t.limitText
	if r.final {
		msg = "worst " + msg
	}
	return msg
}

// Passed reports whether every result passed: the verdict of a run. A
// pending or failed result does not pass; no results at all (no thresholds)
// do.
func Passed(results []Result) bool {
	for _, r := range results {
		if r.Status != Pass {
			return false
		}
	}
	return true
}

// Evaluator evaluates thresholds over a run, fed once a second. It keeps only
// what its thresholds need: cumulative counters (and a histogram for
// response-time thresholds) per endpoint they name, and for windowed
// thresholds a ring of per-second data as long as the longest window. It is
// safe for concurrent use. Make a new one for each run (or statistics reset).
type Evaluator struct {
	mu     sync.Mutex
	start  time.Time
	now    time.Time // of the last Observe
	last   int64     // second index of the last Observe
	gen    uint64    // counts Observe calls, to know stale window aggregates
	scopes map[string]*scope
	checks []*check
	key    []byte // scratch for method+" "+name
}

// check is one threshold and its evaluation state.
type check struct {
	t         Threshold
	sc        *scope
	hasData   bool    // in the last evaluation
	value     float64 // of the last evaluation
	evaluated bool    // had data at least once
	worst     float64 // furthest on the failing side, over all evaluations
	failing   bool
	firstFail time.Time
}

// scope is the data kept for one endpoint (or the total, "").
type scope struct {
	seen               bool // any request ever
	requests, failures uint64
	cum                *histogram.Histogram // nil unless a whole-run response-time threshold needs it
	ring               []slot               // one per second of the longest window; nil without windows
	ringHist           bool                 // whether slots keep histograms
	windows            map[time.Duration]*windowAgg
}

// slot is one second of a scope.
type slot struct {
	sec                int64 // which second it holds; stale slots are ignored
	requests, failures uint64
	hist               *histogram.Histogram
}

// windowAgg is a window's aggregate, computed once per Observe for all the
// thresholds sharing a scope and window.
type windowAgg struct {
	gen                uint64 // the Observe it was computed for
	requests, failures uint64
	hist               *histogram.Histogram // nil unless needed
}

// New returns an Evaluator for thresholds over a run that started at start
// (for whole-run rps, windows and grace periods).
func New(start time.Time, thresholds []Threshold) *Evaluator {
	e := &Evaluator{start: start, last: -1, scopes: make(map[string]*scope)}
	for _, t := range thresholds {
		sc := e.scopes[t.scope]
		if sc == nil {
			sc = &scope{windows: make(map[time.Duration]*windowAgg)}
			e.scopes[t.scope] = sc
		}
		if t.window == 0 {
			if t.metric.latency() && sc.cum == nil {
				sc.cum = new(histogram.Histogram)
			}
		} else {
			n := int(t.window / time.Second)
			if n > len(sc.ring) {
				sc.ring = make([]slot, n)
			}
			sc.ringHist = sc.ringHist || t.metric.latency()
			w := sc.windows[t.window]
			if w == nil {
				w = new(windowAgg)
				sc.windows[t.window] = w
			}
			if t.metric.latency() && w.hist == nil {
				w.hist = new(histogram.Histogram)
			}
		}
		e.checks = append(e.checks, &check{t: t, sc: sc})
	}
	for _, sc := range e.scopes {
		for i := range sc.ring {
			sc.ring[i].sec = -1
			if sc.ringHist {
				sc.ring[i].hist = new(histogram.Histogram)
			}
		}
	}
	return e
}

// Observe adds what was recorded in the second ending at now (one Sample per
// endpoint, plus optionally the total) and evaluates every threshold. Call it
// about once a second, and once more after the last request, before
// [Evaluator.Final]. Data is placed in the second of the run nearest to now,
// so late or missed calls only shift or merge seconds; a now earlier than the
// previous one counts as the previous one. Samples of endpoints that no
// threshold names cost a map lookup or two and are not kept.
func (e *Evaluator) Observe(now time.Time, secs []Sample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.Before(e.now) {
		now = e.now
	}
	sec := max(int64(math.Round(now.Sub(e.start).Seconds())), e.last, 0)
	e.now, e.last = now, sec
	e.gen++
	total := e.scopes[""]
	hasTotal := false
	for i := range secs {
		hasTotal = hasTotal || secs[i].Total
	}
	for i := range secs {
		s := &secs[i]
		if s.Total {
			if total != nil {
				total.add(sec, s)
			}
			continue
		}
		if total != nil && !hasTotal {
			total.add(sec, s)
		}
		sc := e.scopes[s.Name]
		if sc != nil && s.Name != "" {
			sc.add(sec, s)
		}
		if s.Method != "" {
			e.key = append(append(append(e.key[:0], s.Method...), ' '), s.Name...)
			if sc := e.scopes[string(e.key)]; sc != nil {
				sc.add(sec, s)
			}
		}
	}
	for _, c := range e.checks {
		c.evaluate(e, sec)
	}
}

// add counts one sample into the second sec.
func (sc *scope) add(sec int64, s *Sample) {
	if s.Requests == 0 && (s.Hist == nil || s.Hist.Count() == 0) {
		return
	}
	sc.seen = true
	sc.requests += s.Requests
	sc.failures += s.Failures
	if sc.cum != nil && s.Hist != nil {
		sc.cum.Merge(s.Hist)
	}
	if len(sc.ring) == 0 {
		return
	}
	sl := &sc.ring[sec%int64(len(sc.ring))]
	if sl.sec != sec {
		sl.sec, sl.requests, sl.failures = sec, 0, 0
		if sl.hist != nil {
			sl.hist.Reset()
		}
	}
	sl.requests += s.Requests
	sl.failures += s.Failures
	if sl.hist != nil && s.Hist != nil {
		sl.hist.Merge(s.Hist)
	}
}

// window returns the aggregate of the last w of seconds up to sec, computed
// once per Observe (gen).
func (sc *scope) window(w time.Duration, sec int64, gen uint64) *windowAgg {
	a := sc.windows[w]
	if a.gen == gen {
		return a
	}
	a.gen, a.requests, a.failures = gen, 0, 0
	if a.hist != nil {
		a.hist.Reset()
	}
	n := int64(w / time.Second)
	for i := sec; i > sec-n && i >= 0; i-- {
		sl := &sc.ring[i%int64(len(sc.ring))]
		if sl.sec != i {
			continue
		}
		a.requests += sl.requests
		a.failures += sl.failures
		if a.hist != nil {
			a.hist.Merge(sl.hist)
		}
	}
	return a
}

// evaluate computes the threshold's value at second sec and updates its state.
func (c *check) evaluate(e *Evaluator, sec int64) {
	t, sc := c.t, c.sc
	requests, failures, hist := sc.requests, sc.failures, sc.cum
	span := e.now.Sub(e.start)
	if t.window > 0 {
		a := sc.window(t.window, sec, e.gen)
		requests, failures, hist = a.requests, a.failures, a.hist
		span = min(span, t.window)
	}
	var v float64
	ok := true
	switch t.metric {
	case metricPercentile, metricAvg, metricMin, metricMax:
		ok = hist.Count() > 0
		switch {
		case !ok:
		case t.metric == metricAvg:
			v = float64(hist.Mean())
		case t.metric == metricMin:
			v = float64(hist.Min())
		case t.metric == metricMax:
			v = float64(hist.Max())
		default:
			v = float64(hist.Quantile(t.pct / 100))
		}
	case metricFailRatio:
		ok = requests > 0
		if ok {
			v = float64(failures) / float64(requests)
		}
	case metricFailures:
		ok, v = sc.seen, float64(failures)
	case metricRequests:
		ok, v = sc.seen, float64(requests)
	case metricRPS:
		ok = sc.seen && span > 0
		if ok {
			v = float64(requests) / span.Seconds()
		}
	}
	c.hasData, c.value = ok, v
	if !ok {
		c.failing = false
		return
	}
	c.failing = !t.op.holds(v, t.limit)
	if c.failing && c.firstFail.IsZero() {
		c.firstFail = e.now
	}
	lowerIsBetter := t.op == opLess || t.op == opLessEqual
	if !c.evaluated || lowerIsBetter && v > c.worst || !lowerIsBetter && v < c.worst {
		c.worst = v
	}
	c.evaluated = true
}

// Results returns every threshold's live status as of the last Observe, in
// the order given to New: windowed thresholds show their current window.
func (e *Evaluator) Results() []Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Result, len(e.checks))
	for i, c := range e.checks {
		r := newResult(c, c.hasData, c.value)
		if c.hasData {
			r.Status = Pass
			if c.failing {
				r.Status = Fail
				r.Abort = c.t.abort && e.now.Sub(e.start) >= c.t.grace
			}
		}
		out[i] = r
	}
	return out
}

// Final returns the end-of-run verdict, as of the last Observe: whole-run
// thresholds on the run's final figures, windowed ones failed if broken in
// any window (with the worst window's value), and thresholds that never had
// data failed. No result is Pending or asks to abort.
func (e *Evaluator) Final() []Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Result, len(e.checks))
	for i, c := range e.checks {
		var r Result
		switch {
		case c.t.window == 0:
			r = newResult(c, c.hasData, c.value)
			r.Status = Pass
			if !c.hasData || c.failing {
				r.Status = Fail
			}
		default:
			r = newResult(c, c.evaluated, c.worst)
			r.final = c.evaluated
			r.Status = Pass
			if !c.evaluated || !c.firstFail.IsZero() {
				r.Status = Fail
			}
		}
		out[i] = r
	}
	return out
}

// newResult fills in everything but the status.
func newResult(c *check, hasData bool, v float64) Result {
	r := Result{Expr: c.t.String(), Threshold: c.t, NoData: !hasData, FirstFailed: c.firstFail}
	r.Value, r.Unit, r.Observed = present(c.t.metric, v)
	if !hasData {
		r.Value, r.Observed = 0, "no data"
	}
	return r
}

// present converts a value to its reported unit and text.
func present(m metric, v float64) (value float64, unit, text string) {
	switch {
	case m.latency():
		return v / float64(time.Millisecond), "ms", roundDuration(time.Duration(v)).String()
	case m == metricFailRatio:
		return v, "ratio", significant(v*100) + "%"
	case m == metricRPS:
		return v, "req/s", significant(v) + "/s"
	default:
		return v, "count", strconv.FormatFloat(v, 'f', 0, 64)
	}
}

// roundDuration keeps four significant digits or so: 312.4ms, 1.234s, 850µs.
func roundDuration(d time.Duration) time.Duration {
	for _, r := range []time.Duration{time.Second, 100 * time.Millisecond, 10 * time.Millisecond, time.Millisecond} {
		if d >= r {
			return d.Round(r / 1000)
		}
	}
	return d.Round(time.Microsecond)
}

// significant formats x with three significant digits, without exponent or
// trailing zeros: 1.25, 480, 0.0012.
func significant(x float64) string {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	prec := max(0, 2-int(math.Floor(math.Log10(math.Abs(x)))))
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if prec > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
