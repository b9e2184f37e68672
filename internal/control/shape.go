package control

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/shape"
)

// Shape drives a test's user count over time, as Locust's LoadTestShape:
// asked about once a second with the time since the test started (or
// since the shape last reset its time) and the users running, it returns
// the target; false ends the test.
type Shape interface {
	At(in ShapeInput) (ShapeTick, bool)
}

// ShapeInput is what a Shape is told at one moment: Locust's
// get_run_time() and get_current_user_count().
type ShapeInput struct {
	Elapsed time.Duration  // since the test started, or the shape's last ResetTime
	Users   int            // running now
	Counts  map[string]int // running now, per type
}

// ShapeTick is what a Shape asks for at one moment.
type ShapeTick struct {
	Users     int
	SpawnRate float64 // 0 or less: at once
	// UserTypes restricts the users to the named types; empty runs all.
	UserTypes []string
	// ResetTime moves the shape's time base to this moment (Locust's
	// reset_time()): the next Elapsed counts from now.
	ResetTime bool
}

// builtinShape is a --shape spec.
type builtinShape struct{ s shape.Shape }

func (b builtinShape) At(in ShapeInput) (ShapeTick, bool) {
	st, ok := b.s.At(in.Elapsed)
	return ShapeTick{Users: st.Users, SpawnRate: st.SpawnRate}, ok
}

// pickShape is the shape that drives the tests: --shape, else the test's
// own.
func pickShape(cfg config.Config, own Shape, ownName string) (Shape, string) {
	if cfg.Shape == nil {
		if own != nil && ownName == "" {
			ownName = fmt.Sprintf("%T", own)
		}
		return own, ownName
	}
	return builtinShape{*cfg.Shape}, cfg.Shape.String()
}

// shapeRate is a spawn rate every engine accepts: a shape's "at once" (0
// or less) becomes a very high rate.
func shapeRate(r float64) float64 {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 1e9
	}
	return r
}

// shapeAt is what run's shape asks for at now, with a spawn rate every
// engine accepts. The first ask, before any user runs, is at the start.
func (run *testRun) shapeAt(now time.Time) (ShapeTick, bool) {
	in := ShapeInput{}
	if run.shapeBase.IsZero() {
		run.shapeBase = now
	}
	in.Elapsed = now.Sub(run.shapeBase)
	if run.eng != nil {
		in.Users, in.Counts = run.eng.users(), run.eng.counts()
	}
	st, ok := run.shape.At(in)
	if st.ResetTime {
		run.shapeBase = now
	}
	st.SpawnRate = shapeRate(st.SpawnRate)
	st.ResetTime = false // done: comparing ticks ignores it
	return st, ok
}

// followShape asks run's load shape what to run now and ramps toward it
// when that changed. It reports whether the shape ended the test.
func (c *Controller) followShape(run *testRun, now time.Time) (ended bool) {
	if run.shape == nil {
		return false
	}
	st, ok := run.shapeAt(now)
	if !ok {
		c.beginStop(run, End{Reason: ShapeFinished})
		return true
	}
	last := run.lastShape
	if st.Users == last.Users && st.SpawnRate == last.SpawnRate && slices.Equal(st.UserTypes, last.UserTypes) {
		return false
	}
	if c.master == nil && st.Users > last.Users {
		if err := c.checkCapacity(run.types, st.Users); err != nil {
			c.log.Error("load shape: not following", "users", st.Users, "err", err)
			run.lastShape = st // asked once, refused once
			return false
		}
	}
	if !slices.Equal(st.UserTypes, last.UserTypes) {
		if err := run.eng.restrict(st.UserTypes); err != nil {
			c.log.Warn("load shape: cannot restrict user types", "err", err)
		}
	}
	c.log.Info("load shape", "users", st.Users, "spawn_rate", st.SpawnRate, "user_types", st.UserTypes)
	if err := c.ramp(run, st.Users, st.SpawnRate); err != nil {
		c.log.Error("load shape: cannot change the user count", "err", err)
		return false
	}
	c.mu.Lock()
	run.lastShape = st
	run.target, run.rate = st.Users, st.SpawnRate
	if c.state == Running {
		c.setStateLocked(Spawning)
	}
	c.mu.Unlock()
	return false
}
