package shape

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// Rate is an arrival rate r(t) in iterations per second: a constant, or a
// piecewise linear profile of stages, built from a spec by [ParseRate]. It
// is immutable. Iteration k (k = 0, 1, 2, …) of a uniform schedule is due
// at TimeOf(k), computed directly from k, so a schedule never drifts. The
// zero Rate starts nothing.
type Rate struct {
	spec string
	// A constant rate is n iterations per per; per is 0 for a profile.
	n   float64
	per time.Duration
	// A profile's stages, consecutive from 0.
	segs  []rateSegment
	total float64 // Count(End)
}

// rateSegment is one linear piece of a profile: r0 at start to r1 at end
// (per second), count iterations due before start.
type rateSegment struct {
	start, end time.Duration
	r0, r1     float64
	count      float64
}

// units are the time units a rate may be given per.
var units = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}

// ParseRate reads a rate spec: a constant or a ramp through stages.
//
//	200         200 iterations per second, until the run ends
//	200/s       the same
//	1200/m      20 per second; /h is per hour
//	stages:30s:100,1m:100,30s:0          0 → 100/s over 30s, hold 1m, → 0 over 30s
//	stages:start=10,30s:100,1m:100       starts at 10/s instead of 0
//
// A stage is duration:rate; the rate changes linearly from the previous
// stage's end rate (or start=, default 0) to the stage's rate, and every
// stage rate may carry a unit (30s:1200/m). A profile ends after its last
// stage; a constant rate runs until the run time ends. A bad spec gives
// one error naming the bad part.
func ParseRate(spec string) (Rate, error) {
	r, err := parseRate(spec)
	if err != nil {
		return Rate{}, fmt.Errorf("rate %q: %w", spec, err)
	}
	return r, nil
}

func parseRate(spec string) (Rate, error) {
	spec = strings.TrimSpace(spec)
	if kind, body, ok := strings.Cut(spec, ":"); ok {
		if strings.TrimSpace(kind) != "stages" {
			return Rate{}, fmt.Errorf("unknown kind %q (want a rate like 200/s or stages:duration:rate,...)", strings.TrimSpace(kind))
		}
		return parseRateStages(body)
	}
	if spec == "" {
		return Rate{}, errors.New("empty (want a rate like 200/s or stages:duration:rate,...)")
	}
	n, per, unit, err := parseRateValue(spec)
	if err != nil {
		return Rate{}, err
	}
	if n == 0 {
		return Rate{}, errors.New("rate is 0")
	}
	return Rate{spec: formatNumber(n) + "/" + unit, n: n, per: per}, nil
}

// parseRateValue reads "N", "N/s", "N/m" or "N/h".
func parseRateValue(s string) (n float64, per time.Duration, unit string, err error) {
	num, unit, ok := strings.Cut(s, "/")
	num, unit = strings.TrimSpace(num), strings.TrimSpace(unit)
	if !ok {
		unit = "s"
	}
	per, known := units[unit]
	if !known {
		return 0, 0, "", fmt.Errorf("bad rate unit %q (want /s, /m or /h)", "/"+unit)
	}
	if n, err = parseNumber("rate", num); err != nil {
		return 0, 0, "", err
	}
	if n/per.Seconds() > maxRate {
		return 0, 0, "", fmt.Errorf("rate %q is above %g/s", s, float64(maxRate))
	}
	return n, per, unit, nil
}

// parseRateStages reads "[start=R,]duration:R,...".
func parseRateStages(body string) (Rate, error) {
	parts := strings.Split(body, ",")
	var r Rate
	var spec []string
	var rate float64 // per second, at the end of the previous stage
	if key, value, ok := strings.Cut(parts[0], "="); ok && strings.TrimSpace(key) == "start" {
		n, per, unit, err := parseRateValue(strings.TrimSpace(value))
		if err != nil {
			return Rate{}, fmt.Errorf("start: %w", err)
		}
		rate = n / per.Seconds()
		spec = append(spec, "start="+formatRateValue(n, unit))
		parts = parts[1:]
	}
	if len(parts) == 0 || len(parts) == 1 && strings.TrimSpace(parts[0]) == "" {
		return Rate{}, errors.New("no stages (want duration:rate,...)")
	}
	var end time.Duration
	for i, stage := range parts {
		n := i + 1
		ds, rs, ok := strings.Cut(stage, ":")
		ds, rs = strings.TrimSpace(ds), strings.TrimSpace(rs)
		if !ok {
			return Rate{}, fmt.Errorf("stage %d: %q is not duration:rate", n, strings.TrimSpace(stage))
		}
		d, err := parseDuration(ds)
		if err != nil {
			return Rate{}, fmt.Errorf("stage %d: %w", n, err)
		}
		if d == 0 {
			return Rate{}, fmt.Errorf("stage %d: duration is 0", n)
		}
		v, per, unit, err := parseRateValue(rs)
		if err != nil {
			return Rate{}, fmt.Errorf("stage %d: %w", n, err)
		}
		start := end
		if end, err = addTotal(end, d); err != nil {
			return Rate{}, err
		}
		seg := rateSegment{start: start, end: end, r0: rate, r1: v / per.Seconds(), count: r.total}
		r.segs = append(r.segs, seg)
		r.total += seg.integral(end)
		rate = seg.r1
		spec = append(spec, duration.Format(d)+":"+formatRateValue(v, unit))
	}
	if r.total == 0 {
		return Rate{}, errors.New("every stage's rate is 0")
	}
	r.spec = "stages:" + strings.Join(spec, ",")
	return r, nil
}

// formatRateValue prints a stage rate, with its unit unless per second.
func formatRateValue(n float64, unit string) string {
	if unit == "s" {
		return formatNumber(n)
	}
	return formatNumber(n) + "/" + unit
}

// integral is ∫ r from the segment's start to t (start ≤ t ≤ end).
func (s rateSegment) integral(t time.Duration) float64 {
	x := (t - s.start).Seconds()
	l := (s.end - s.start).Seconds()
	return s.r0*x + (s.r1-s.r0)*x*x/(2*l)
}

// at is r(t) for start ≤ t ≤ end.
func (s rateSegment) at(t time.Duration) float64 {
	x := float64(t - s.start)
	l := float64(s.end - s.start)
	return s.r0 + (s.r1-s.r0)*x/l
}

// At returns the rate at time t in iterations per second: 0 before 0 and
// from End on.
func (r Rate) At(t time.Duration) float64 {
	switch {
	case t < 0:
		return 0
	case r.per > 0:
		return r.n / r.per.Seconds()
	}
	if i := r.segment(t); i < len(r.segs) {
		return r.segs[i].at(t)
	}
	return 0
}

// segment is the index of the profile segment holding t, len(r.segs) past
// the end.
func (r Rate) segment(t time.Duration) int {
	return sort.Search(len(r.segs), func(i int) bool { return r.segs[i].end > t })
}

// Count returns ∫₀ᵗ r, the number of iterations due in [0, t), computed in
// closed form per stage.
func (r Rate) Count(t time.Duration) float64 {
	switch {
	case t <= 0:
		return 0
	case r.per > 0:
		return float64(t) * r.n / float64(r.per)
	}
	i := r.segment(t)
	if i == len(r.segs) {
		return r.total
	}
	return r.segs[i].count + r.segs[i].integral(t)
}

// TimeOf returns when iteration n (counted from 0; Poisson arrivals pass
// fractional values) is due: the last instant t with Count(t) ≤ n, so after
// a stretch of rate 0 the next iteration is due when the rate rises again.
// It is false for negative n and for n ≥ Count(End) (the profile is over
// by then). For a constant rate of N per P it is n·P/N rounded to the
// nanosecond, exactly when n and N are whole numbers.
func (r Rate) TimeOf(n float64) (time.Duration, bool) {
	if !(n >= 0) { // also NaN
		return 0, false
	}
	if r.per > 0 {
		return r.constantTimeOf(n)
	}
	if !(n < r.total) {
		return 0, false
	}
	i := sort.Search(len(r.segs), func(i int) bool {
		if i+1 < len(r.segs) {
			return r.segs[i+1].count > n
		}
		return true
	})
	s := r.segs[i]
	// Solve r0·x + (r1−r0)/(2L)·x² = n − count for x in [0, L), in the
	// form that stays accurate when either coefficient is near 0.
	dn := max(n-s.count, 0)
	l := (s.end - s.start).Seconds()
	a := (s.r1 - s.r0) / (2 * l)
	den := s.r0 + math.Sqrt(max(s.r0*s.r0+4*a*dn, 0))
	x := 0.0
	if den > 0 {
		x = 2 * dn / den
	}
	t := s.start + time.Duration(math.Round(x*1e9))
	return min(max(t, s.start), s.end-1), true
}

// constantTimeOf is n·per/N: in 128-bit integers when n and N are whole, in
// floating point otherwise.
func (r Rate) constantTimeOf(n float64) (time.Duration, bool) {
	if n == math.Trunc(n) && r.n == math.Trunc(r.n) && n < 1<<63 && r.n < 1<<63 {
		k, rate := uint64(n), uint64(r.n)
		hi, lo := bits.Mul64(k, uint64(r.per))
		if hi >= rate {
			return 0, false
		}
		q, rem := bits.Div64(hi, lo, rate)
		if rem >= rate-rem { // round half up
			q++
		}
		if q > math.MaxInt64 {
			return 0, false
		}
		return time.Duration(q), true
	}
	ns := math.Round(n * float64(r.per) / r.n)
	if !(ns < math.MaxInt64) {
		return 0, false
	}
	return time.Duration(ns), true
}

// End returns when a profile ends (its last stage's end), or 0 for a
// constant rate, which runs until the run time ends.
func (r Rate) End() time.Duration {
	if len(r.segs) == 0 {
		return 0
	}
	return r.segs[len(r.segs)-1].end
}

// String returns the rate's canonical spec, which [ParseRate] reads back to
// the same rate.
func (r Rate) String() string { return r.spec }
