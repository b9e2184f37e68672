package main

import (
	"testing"
	"time"

	"github.com/herdload/herd/examples/locust/internal/locustshape"
)

// The shape asks for what Locust's StepLoadShape asks for, at every
// second and half second of its ten minutes and after.
func TestShapeMatchesLocust(t *testing.T) {
	t.Parallel()
	locustshape.Compare(t, "custom_shape/step_load.py", "StepLoadShape", newShape(),
		locustshape.Seconds(500*time.Millisecond, 610*time.Second, 0))
}

// The port runs against a local target: its users follow the shape's
// first step (10 users) and request "/" as Locust's do.
func TestRunsAgainstALocalTarget(t *testing.T) {
	t.Parallel()
	locustshape.RunShape(t, newTest(), 10, map[string]bool{"GET /": true})
}
