// Package shape provides herd's built-in load shapes and arrival-rate
// profiles. Both are pure functions of the elapsed run time, parsed from
// short text specs (the --shape and --rate flags and their config-file
// keys), so they are table-tested without a clock.
//
// A [Shape] gives the closed model's target: how many users should run and
// how fast the runner moves toward that count, like a Locust LoadShape
// asked once a second. A [Rate] gives the open model's target: iterations
// per second r(t), its integral and the exact inverse of that integral, so
// an executor computes every iteration's intended start directly, with no
// drift. [Arrivals] walks that schedule, uniformly or as a Poisson process,
// optionally taking only one worker's share of it.
//
// docs/shapes/README.md documents every spec with a picture of its curve;
// the pictures are drawn by [Shape.SVG] and [Rate.SVG] and checked by the
// tests.
package shape

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// Step is a shape's target at one instant: the runner moves the running
// user count toward Users at SpawnRate users per second (starting or
// stopping one user every 1/SpawnRate), exactly as for a user count set by
// hand. SpawnRate is always positive.
type Step struct {
	Users     int
	SpawnRate float64
}

// Shape is a user-count target over time, built from a spec by [Parse]. It
// is immutable; the zero Shape is over at once.
//
// A Shape returns each stage's target, not an interpolated count: during
// "ramp to 100 over 30s" At returns 100 users at 3.33 users/s for the whole
// 30 s, and the runner does the ramping, as with Locust's LoadShape.
type Shape struct {
	spec string
	segs []segment // consecutive, each ends where the next begins
}

// segment is one constant target of a shape, from the previous segment's
// end (or 0) until end.
type segment struct {
	end  time.Duration
	step Step
}

// Kinds of shape that [Parse] knows.
var kinds = []string{"stages", "steps", "spike"}

// Parse reads a shape spec: a kind, a colon and the kind's arguments.
//
//	stages:30s:100,2m:100,30s:0          ramp to 100 over 30s, hold 2m, ramp to 0 over 30s
//	stages:10s:50:25,1m:50               a stage may give its spawn rate: duration:users:rate
//	steps:users=100,step=10,every=30s    10 users, +10 every 30s up to 100, hold 30s
//	steps:users=100,step=10,every=30s,hold=5m,rate=2
//	spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m
//
// Durations are read by internal/duration, like every duration in herd: Go
// durations ("1m30s") or seconds ("90", "1.5"). The shape is over (At
// returns false) after its last stage. docs/shapes/README.md gives each
// kind's exact semantics. A bad spec gives one error naming the bad part.
func Parse(spec string) (Shape, error) {
	s, err := parse(spec)
	if err != nil {
		return Shape{}, fmt.Errorf("shape %q: %w", spec, err)
	}
	return s, nil
}

func parse(spec string) (Shape, error) {
	kind, body, _ := strings.Cut(strings.TrimSpace(spec), ":")
	switch strings.TrimSpace(kind) {
	case "stages":
		return parseStages(body)
	case "steps":
		return parseSteps(body)
	case "spike":
		return parseSpike(body)
	case "":
		return Shape{}, fmt.Errorf("empty (want %s, each followed by ':')", list(kinds))
	default:
		return Shape{}, fmt.Errorf("unknown kind %q (want %s)", strings.TrimSpace(kind), list(kinds))
	}
}

// At returns the target at elapsed run time, or false once the shape is
// over (elapsed ≥ [Shape.Total]): stop the test. Each stage covers the
// half-open interval [start, end), so at a stage boundary At returns the
// next stage. A negative elapsed counts as 0.
func (s Shape) At(elapsed time.Duration) (Step, bool) {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].end > elapsed })
	if i == len(s.segs) {
		return Step{}, false
	}
	return s.segs[i].step, true
}

// Total is how long the shape runs.
func (s Shape) Total() time.Duration {
	if len(s.segs) == 0 {
		return 0
	}
	return s.segs[len(s.segs)-1].end
}

// String returns the shape's canonical spec, which [Parse] reads back to
// the same shape.
func (s Shape) String() string { return s.spec }

// parseStages reads "duration:users[:rate],...".
func parseStages(body string) (Shape, error) {
	if strings.TrimSpace(body) == "" {
		return Shape{}, errors.New("no stages (want duration:users,...)")
	}
	var (
		s     Shape
		parts []string
		total time.Duration
		users int
		rate  = 1.0 // a hold keeps the previous stage's rate
	)
	for i, stage := range strings.Split(body, ",") {
		n := i + 1
		fields := strings.Split(stage, ":")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if len(fields) < 2 || len(fields) > 3 {
			return Shape{}, fmt.Errorf("stage %d: %q is not duration:users or duration:users:rate", n, strings.TrimSpace(stage))
		}
		d, err := parseDuration(fields[0])
		if err != nil {
			return Shape{}, fmt.Errorf("stage %d: %w", n, err)
		}
		if d == 0 {
			return Shape{}, fmt.Errorf("stage %d: duration is 0", n)
		}
		target, err := parseUsers(fields[1])
		if err != nil {
			return Shape{}, fmt.Errorf("stage %d: %w", n, err)
		}
		part := duration.Format(d) + ":" + fmt.Sprint(target)
		switch {
		case len(fields) == 3:
			r, err := parseSpawnRate(fields[2])
			if err != nil {
				return Shape{}, fmt.Errorf("stage %d: %w", n, err)
			}
			rate = r
			part += ":" + formatNumber(r)
		case target != users:
			rate = float64(abs(target-users)) / d.Seconds()
		}
		if total, err = addTotal(total, d); err != nil {
			return Shape{}, err
		}
		users = target
		s.segs = append(s.segs, segment{total, Step{users, rate}})
		parts = append(parts, part)
	}
	s.spec = "stages:" + strings.Join(parts, ",")
	return s, nil
}

// parseSpawnRate reads a positive spawn rate in users per second.
func parseSpawnRate(s string) (float64, error) {
	r, err := parseNumber("spawn rate", s)
	switch {
	case err != nil:
		return 0, err
	case r == 0:
		return 0, fmt.Errorf("spawn rate %q is not positive", s)
	case r > maxRate:
		return 0, fmt.Errorf("spawn rate %q is above %g", s, float64(maxRate))
	}
	return r, nil
}

// parseSteps reads "users=N,step=N,every=D[,hold=D][,rate=R]".
func parseSteps(body string) (Shape, error) {
	opts, err := options(body, []string{"users", "step", "every", "hold", "rate"})
	if err != nil {
		return Shape{}, err
	}
	for _, key := range []string{"users", "step", "every"} {
		if opts[key] == "" {
			return Shape{}, fmt.Errorf("missing %s= (want users=N,step=N,every=DURATION)", key)
		}
	}
	users, err := parseUsers(opts["users"])
	if err != nil {
		return Shape{}, fmt.Errorf("users: %w", err)
	}
	step, err := parseUsers(opts["step"])
	if err != nil {
		return Shape{}, fmt.Errorf("step: %w", err)
	}
	every, err := parseDuration(opts["every"])
	if err != nil {
		return Shape{}, fmt.Errorf("every: %w", err)
	}
	switch {
	case users == 0:
		return Shape{}, errors.New("users: must be at least 1")
	case step == 0:
		return Shape{}, errors.New("step: must be at least 1")
	case every == 0:
		return Shape{}, errors.New("every: duration is 0")
	}
	hold := every
	if v := opts["hold"]; v != "" {
		if hold, err = parseDuration(v); err != nil {
			return Shape{}, fmt.Errorf("hold: %w", err)
		}
		if hold == 0 {
			return Shape{}, errors.New("hold: duration is 0")
		}
	}
	rate := float64(step)
	if v := opts["rate"]; v != "" {
		if rate, err = parseSpawnRate(v); err != nil {
			return Shape{}, fmt.Errorf("rate: %w", err)
		}
	}
	levels := (users + step - 1) / step
	if levels > maxLevels {
		return Shape{}, fmt.Errorf("%d steps (at most %d)", levels, maxLevels)
	}
	var s Shape
	var total time.Duration
	for i := range levels {
		d := every
		if i == levels-1 {
			d = hold
		}
		if total, err = addTotal(total, d); err != nil {
			return Shape{}, err
		}
		s.segs = append(s.segs, segment{total, Step{min((i+1)*step, users), rate}})
	}
	s.spec = fmt.Sprintf("steps:users=%d,step=%d,every=%s", users, step, duration.Format(every))
	if hold != every {
		s.spec += ",hold=" + duration.Format(hold)
	}
	if opts["rate"] != "" {
		s.spec += ",rate=" + formatNumber(rate)
	}
	return s, nil
}

// parseSpike reads "peak=N,hold=D[,base=N][,at=D][,ramp=D][,after=D][,rate=R]".
func parseSpike(body string) (Shape, error) {
	opts, err := options(body, []string{"base", "peak", "at", "ramp", "hold", "after", "rate"})
	if err != nil {
		return Shape{}, err
	}
	for _, key := range []string{"peak", "hold"} {
		if opts[key] == "" {
			return Shape{}, fmt.Errorf("missing %s= (want peak=N,hold=DURATION)", key)
		}
	}
	users := map[string]int{"base": 0}
	for _, key := range []string{"base", "peak"} {
		if v := opts[key]; v != "" {
			if users[key], err = parseUsers(v); err != nil {
				return Shape{}, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	base, peak := users["base"], users["peak"]
	if peak <= base {
		return Shape{}, fmt.Errorf("peak: %d is not above base %d", peak, base)
	}
	times := map[string]time.Duration{"at": 0, "ramp": time.Second, "after": 0}
	for _, key := range []string{"at", "ramp", "hold", "after"} {
		if v := opts[key]; v != "" {
			if times[key], err = parseDuration(v); err != nil {
				return Shape{}, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	at, ramp, hold, after := times["at"], times["ramp"], times["hold"], times["after"]
	if ramp == 0 {
		return Shape{}, errors.New("ramp: duration is 0")
	}
	rate := float64(peak-base) / ramp.Seconds()
	if v := opts["rate"]; v != "" {
		if rate, err = parseSpawnRate(v); err != nil {
			return Shape{}, fmt.Errorf("rate: %w", err)
		}
	}
	var s Shape
	var total time.Duration
	for _, seg := range []struct {
		d     time.Duration
		users int
	}{{at, base}, {ramp + hold, peak}, {ramp + after, base}} {
		if seg.d == 0 {
			continue
		}
		if total, err = addTotal(total, seg.d); err != nil {
			return Shape{}, err
		}
		s.segs = append(s.segs, segment{total, Step{seg.users, rate}})
	}
	var spec strings.Builder
	spec.WriteString("spike:")
	if base != 0 {
		fmt.Fprintf(&spec, "base=%d,", base)
	}
	fmt.Fprintf(&spec, "peak=%d", peak)
	if at != 0 {
		spec.WriteString(",at=" + duration.Format(at))
	}
	if ramp != time.Second {
		spec.WriteString(",ramp=" + duration.Format(ramp))
	}
	spec.WriteString(",hold=" + duration.Format(hold))
	if after != 0 {
		spec.WriteString(",after=" + duration.Format(after))
	}
	if opts["rate"] != "" {
		spec.WriteString(",rate=" + formatNumber(rate))
	}
	s.spec = spec.String()
	return s, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
