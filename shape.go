package herd

import (
	"time"
)

// LoadShape drives a test's user count over time, as Locust's
// LoadTestShape does: about once a second herd calls Tick with what the
// test looks like now (the time since the test started, the users
// running) and ramps toward the returned user count at the returned spawn
// rate. Returning false ends the test.
//
// A shape replaces -u and -r; --run-time still applies. On a master the
// master runs the shape and its workers follow. Built-in shapes (stages,
// steps, spike) need no code: see the --shape flag. A shape that needs
// only the time is a ShapeFunc.
type LoadShape interface {
	Tick(s *ShapeState) (ShapeTick, bool)
}

// ShapeState is what a LoadShape sees at one tick: Locust's
// get_run_time() and get_current_user_count().
type ShapeState struct {
	// Elapsed is the time since the test started, or since the shape
	// last called ResetTime.
	Elapsed time.Duration
	// Users is the number of users running now (on a master, as its
	// workers last reported), UsersByType the same per user type. A ramp
	// in progress has not reached the last tick's target yet.
	Users       int
	UsersByType map[string]int

	reset bool
}

// ResetTime makes the shape's time count from now (Locust's
// reset_time()): Elapsed becomes 0, and the next ticks count from this
// one. A shape that holds a step for some time once its users are all
// running resets its time when they are.
func (s *ShapeState) ResetTime() {
	s.Elapsed = 0
	s.reset = true
}

// ShapeTick is what a LoadShape asks for at one moment.
type ShapeTick struct {
	Users     int
	SpawnRate float64 // users started or stopped per second; 0 or less: at once
	// UserTypes, when not empty, restricts the users to the named types
	// (with their usual weights); empty runs every type of the test.
	UserTypes []string
}

// ShapeFunc adapts a function of the elapsed time to LoadShape.
type ShapeFunc func(elapsed time.Duration) (ShapeTick, bool)

// Tick calls f with s.Elapsed.
func (f ShapeFunc) Tick(s *ShapeState) (ShapeTick, bool) { return f(s.Elapsed) }
