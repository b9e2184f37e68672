package main

import (
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/locustshape"
)

// slowUsers are the moments of a run whose users come 3 a second (and go
// as fast) toward what shape asks for, each second, until the shape ends.
func slowUsers(shape herd.LoadShape) []locustshape.Moment {
	var ms []locustshape.Moment
	var base time.Duration
	users, target := 0, 0
	for at := time.Duration(0); at < 5*time.Minute; at += time.Second {
		ms = append(ms, locustshape.Moment{At: at, Users: users})
		s := &herd.ShapeState{Elapsed: at - base, Users: users}
		tick, ok := shape.Tick(s)
		if s.Elapsed == 0 {
			base = at
		}
		if !ok {
			break
		}
		switch target = tick.Users; {
		case users < target:
			users = min(users+3, target)
		case users > target:
			users = max(users-3, target)
		}
	}
	return ms
}

// The shape asks for what Locust's StepLoadShape of this example asks for
// when told the same user counts: each step held its dwell time from when
// its count was reached (get_current_user_count, reset_time), then the
// test ends.
func TestShapeMatchesLocust(t *testing.T) {
	t.Parallel()
	moments := slowUsers(newShape())
	if n := len(moments); n < 40 || n > 60 {
		t.Fatalf("the simulated run has %d ticks", n)
	}
	locustshape.Compare(t, "custom_shape/wait_user_count.py", "StepLoadShape", newShape(), moments)
}

// The port runs against a local target (its users' set-up shortened to at
// most 100 ms): the first step's 10 users request "/" as Locust's do.
func TestRunsAgainstALocalTarget(t *testing.T) {
	t.Parallel()
	locustshape.RunShape(t, newTest(100*time.Millisecond), 10, map[string]bool{"GET /": true})
}
