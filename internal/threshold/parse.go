package threshold

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// metric is what a threshold measures.
type metric uint8

const (
	metricPercentile metric = iota // pct holds which
	metricAvg
	metricMin
	metricMax
	metricFailRatio
	metricFailures
	metricRequests
	metricRPS
)

// latency reports whether m is a response time (limit and value are durations).
func (m metric) latency() bool { return m <= metricMax }

// validMetrics is listed in the error for an unknown metric.
const validMetrics = "p50, p95, p99.9 (any pN), median, avg, min, max, fail_ratio, failures, requests, rps"

// maxWindow bounds a window, and so the memory an Evaluator keeps per endpoint.
const maxWindow = time.Hour

// operator compares an observed value with a limit.
type operator uint8

const (
	opLess operator = iota
	opLessEqual
	opGreater
	opGreaterEqual
)

var opText = [...]string{opLess: "<", opLessEqual: "<=", opGreater: ">", opGreaterEqual: ">="}

// holds reports whether v satisfies "v op limit".
func (o operator) holds(v, limit float64) bool {
	switch o {
	case opLess:
		return v < limit
	case opLessEqual:
		return v <= limit
	case opGreater:
		return v > limit
	default:
		return v >= limit
	}
}

// Threshold is one parsed condition. Its zero value is not valid; get one
// from [Parse] or [ParseAll]. Thresholds are comparable values.
type Threshold struct {
	scope  string // "" for the total
	metric metric
	name   string  // the metric as written in canonical form: "p99.9", "median", "rps"
	pct    float64 // percentile, 0 < pct ≤ 100, for metricPercentile
	window time.Duration
	op     operator
	// limit is in the unit values are computed in: nanoseconds for response
	// times, a fraction for fail_ratio, a count, requests per second.
	limit     float64
	limitText string // canonical text of the limit
	abort     bool
	grace     time.Duration
}

// Scope is the endpoint the threshold applies to, or "" for the total.
func (t Threshold) Scope() string { return t.scope }

// Window is the sliding window the threshold covers, or 0 for the whole run.
func (t Threshold) Window() time.Duration { return t.window }

// Abort reports whether a broken threshold should stop the run, and after
// how long since the start this is allowed (the grace period).
func (t Threshold) Abort() (abort bool, grace time.Duration) { return t.abort, t.grace }

// String returns the threshold in canonical form, which [Parse] accepts and
// which parses to an equal Threshold: "GET /cart: p99[1m]<500ms;abort;grace=30s".
func (t Threshold) String() string {
	var b strings.Builder
	if t.scope != "" {
		b.WriteString(t.scope)
		b.WriteString(": ")
	}
	b.WriteString(t.condition())
	b.WriteString(opText[t.op])
	b.WriteString(t.limitText)
	if t.abort {
		b.WriteString(";abort")
		if t.grace > 0 {
			b.WriteString(";grace=")
			b.WriteString(duration.Format(t.grace))
		}
	}
	return b.String()
}

// condition is the metric with its window: "p99[1m]".
func (t Threshold) condition() string {
	if t.window == 0 {
		return t.name
	}
	return t.name + "[" + duration.Format(t.window) + "]"
}

// ParseAll parses every expression and reports every bad one at once (the
// errors joined, one per line).
func ParseAll(exprs []string) ([]Threshold, error) {
	out := make([]Threshold, 0, len(exprs))
	var errs []error
	for _, s := range exprs {
		t, err := Parse(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Parse parses one threshold expression (see the package documentation for
// the grammar). A bad expression gives one error that quotes the expression
// and names the bad part, e.g.
//
//	threshold "p95<3xx": bad duration "3xx" (want e.g. 300ms, 1.5s)
func Parse(expr string) (Threshold, error) {
	expr = strings.TrimSpace(expr)
	fail := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("threshold %q: %s", expr, fmt.Sprintf(format, args...))
	}
	if expr == "" {
		return fail("empty (want e.g. p95<300ms)")
	}
	var t Threshold
	rest := expr
	if i := strings.LastIndexByte(expr, ':'); i >= 0 {
		t.scope = strings.TrimSpace(expr[:i])
		rest = expr[i+1:]
		if t.scope == "" {
			return fail("empty endpoint name before \":\" (omit it for the total)")
		}
	}
	cond, opts, _ := strings.Cut(rest, ";")
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return fail("missing condition (want e.g. p95<300ms)")
	}
	if err := t.parseCondition(cond); err != nil {
		return fail("%s", err)
	}
	if err := t.parseOptions(opts, strings.Contains(rest, ";")); err != nil {
		return fail("%s", err)
	}
	return t, nil
}

// parseCondition parses "metric[window] op limit".
func (t *Threshold) parseCondition(cond string) error {
	i := strings.IndexAny(cond, "[<>=! \t")
	if i < 0 {
		return fmt.Errorf("no comparison in %q (want e.g. p95<300ms)", cond)
	}
	name, rest := cond[:i], strings.TrimSpace(cond[i:])
	if name == "" && strings.HasPrefix(rest, "[") || looksLikeEndpoint(name) {
		return fmt.Errorf("%q is not a metric; an endpoint goes before a colon (want e.g. GET /cart: p95<300ms)", cond)
	}
	if name == "" {
		return fmt.Errorf("missing metric before %q (want one of %s)", rest, validMetrics)
	}
	if err := t.parseMetric(name); err != nil {
		return err
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return fmt.Errorf("unclosed window %q (want e.g. %s[1m])", rest, t.name)
		}
		w, err := parseWindow(strings.TrimSpace(rest[1:end]))
		if err != nil {
			return err
		}
		t.window = w
		rest = strings.TrimSpace(rest[end+1:])
	}
	switch {
	case strings.HasPrefix(rest, "<="):
		t.op, rest = opLessEqual, rest[2:]
	case strings.HasPrefix(rest, ">="):
		t.op, rest = opGreaterEqual, rest[2:]
	case strings.HasPrefix(rest, "<"):
		t.op, rest = opLess, rest[1:]
	case strings.HasPrefix(rest, ">"):
		t.op, rest = opGreater, rest[1:]
	case strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "!"):
		bad := rest[:len(rest)-len(strings.TrimLeft(rest, "=!"))]
		return fmt.Errorf("bad operator %q (want <, <=, > or >=)", bad)
	default:
		return fmt.Errorf("missing operator after %q (want <, <=, > or >=)", t.condition())
	}
	limit := strings.TrimSpace(rest)
	if limit == "" {
		return fmt.Errorf("missing limit after %q", t.condition()+opText[t.op])
	}
	return t.parseLimit(limit)
}

// looksLikeEndpoint reports whether a would-be metric is rather a path or an
// HTTP method: the start of an endpoint written without its colon.
func looksLikeEndpoint(name string) bool {
	if strings.HasPrefix(name, "/") {
		return true
	}
	switch name {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}

// parseMetric sets the metric from its name (case-insensitive).
func (t *Threshold) parseMetric(written string) error {
	name := strings.ToLower(written)
	t.name = name
	switch name {
	case "avg":
		t.metric = metricAvg
	case "min":
		t.metric = metricMin
	case "max":
		t.metric = metricMax
	case "median":
		t.metric, t.pct = metricPercentile, 50
	case "fail_ratio":
		t.metric = metricFailRatio
	case "failures":
		t.metric = metricFailures
	case "requests":
		t.metric = metricRequests
	case "rps":
		t.metric = metricRPS
	default:
		num, ok := strings.CutPrefix(name, "p")
		if !ok || !isDecimal(num) {
			return fmt.Errorf("unknown metric %q (want one of %s)", written, validMetrics)
		}
		p, _ := strconv.ParseFloat(num, 64) // a plain decimal always parses
		if p <= 0 || p > 100 {
			return fmt.Errorf("percentile %q out of range (want above p0, at most p100)", written)
		}
		t.metric, t.pct = metricPercentile, p
		t.name = "p" + strconv.FormatFloat(p, 'f', -1, 64)
	}
	return nil
}

// parseWindow parses a window's duration: whole seconds from 1s to maxWindow.
func parseWindow(s string) (time.Duration, error) {
	w, err := duration.Parse(s)
	switch {
	case errors.Is(err, duration.ErrRange), err == nil && w > maxWindow:
		return 0, fmt.Errorf("window %q too long (at most %s)", s, duration.Format(maxWindow))
	case err != nil:
		return 0, fmt.Errorf("bad window %q (want e.g. 30s, 1m, 5m)", s)
	case w < time.Second:
		return 0, fmt.Errorf("window %q too short (at least 1s)", s)
	case w%time.Second != 0:
		return 0, fmt.Errorf("window %q is not whole seconds", s)
	}
	return w, nil
}

// parseLimit parses the limit in the unit of the metric.
func (t *Threshold) parseLimit(s string) error {
	switch {
	case t.metric.latency():
		if isDecimal(strings.TrimLeft(s, "+-")) {
			// k6 reads a bare number as milliseconds, herd's duration
			// grammar as seconds: refuse rather than guess.
			return fmt.Errorf("response time %q needs a unit (want e.g. %sms or %ss)", s, s, s)
		}
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		t.limit, t.limitText = float64(d), duration.Format(d)
	case t.metric == metricFailRatio:
		num, percent := strings.CutSuffix(s, "%")
		num = strings.TrimSpace(num)
		if !isDecimal(num) {
			return fmt.Errorf("bad ratio %q (want e.g. 1%% or 0.01)", s)
		}
		v, _ := strconv.ParseFloat(num, 64)
		t.limitText = strconv.FormatFloat(v, 'f', -1, 64)
		switch {
		case percent && v > 100:
			return fmt.Errorf("ratio %q above 100%%", s)
		case percent:
			t.limit, t.limitText = v/100, t.limitText+"%"
		case v > 1:
			return fmt.Errorf("ratio %q above 1 (write %s%% for a percentage)", s, num)
		default:
			t.limit = v
		}
	case t.metric == metricRPS:
		if !isDecimal(s) {
			return fmt.Errorf("bad rate %q (want requests per second, e.g. 500 or 12.5)", s)
		}
		t.limit, _ = strconv.ParseFloat(s, 64)
		t.limitText = strconv.FormatFloat(t.limit, 'f', -1, 64)
	default: // failures, requests
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || !isDecimal(s) {
			return fmt.Errorf("bad count %q (want a whole number, e.g. 10)", s)
		}
		t.limit, t.limitText = float64(n), strconv.FormatUint(n, 10)
	}
	return nil
}

// parseOptions parses the options after the first ";" (present tells
// whether there was one, so that a trailing ";" is an error).
func (t *Threshold) parseOptions(opts string, present bool) error {
	if !present {
		return nil
	}
	var seenGrace bool
	for _, o := range strings.Split(opts, ";") {
		key, val, hasVal := strings.Cut(o, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch {
		case key == "":
			return errors.New("empty option (a stray \";\"?)")
		case key == "abort" && t.abort, key == "grace" && seenGrace:
			return fmt.Errorf("option %q given twice", key)
		case key == "abort" && hasVal:
			return fmt.Errorf("option %q takes no value (want abort;grace=%s)", strings.TrimSpace(o), val)
		case key == "abort":
			t.abort = true
		case key == "grace":
			d, err := parseDuration(val)
			if err != nil {
				return fmt.Errorf("grace: %w", err)
			}
			t.grace, seenGrace = d, true
		default:
			return fmt.Errorf("unknown option %q (want abort or grace=DURATION)", strings.TrimSpace(o))
		}
	}
	if seenGrace && !t.abort {
		return errors.New("grace needs abort (want e.g. p95<300ms;abort;grace=30s)")
	}
	return nil
}

// parseDuration parses a non-negative duration in herd's grammar
// (internal/duration).
func parseDuration(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 300ms, 1.5s)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}

// isDecimal reports whether s is digits with at most one decimal point and
// at least one digit: "12", "0.5", ".5", "5." (a percentile, ratio, rate or
// count; durations are read by internal/duration).
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}
