package herd

import (
	"time"
)

// LoadShape drives a test's user count over time, as Locust's
// LoadTestShape does: about once a second herd calls Tick with the time
// since the test started, and ramps toward the returned user count at the
// returned spawn rate. Returning false ends the test.
//
// A shape replaces -u and -r; --run-time still applies. On a master the
// master runs the shape and its workers follow. Built-in shapes (stages,
// steps, spike) need no code: see the --shape flag.
type LoadShape interface {
	Tick(elapsed time.Duration) (ShapeTick, bool)
}

// ShapeTick is what a LoadShape asks for at one moment.
type ShapeTick struct {
	Users     int
	SpawnRate float64 // users started or stopped per second; 0 or less: at once
	// UserTypes, when not empty, restricts the users to the named types
	// (with their usual weights); empty runs every type of the test.
	UserTypes []string
}

// ShapeFunc adapts a function to LoadShape.
type ShapeFunc func(elapsed time.Duration) (ShapeTick, bool)

// Tick calls f.
func (f ShapeFunc) Tick(elapsed time.Duration) (ShapeTick, bool) { return f(elapsed) }
