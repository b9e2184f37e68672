package main

import (
	"context"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/locustshape"
)

// The shape asks for what Locust's StagesShapeWithCustomUsers asks for,
// user classes included, at every second and half second of its 240 s
// and after.
func TestShapeMatchesLocust(t *testing.T) {
	t.Parallel()
	locustshape.Compare(t, "custom_shape/staging_user_classes.py", "StagesShapeWithCustomUsers", newShape(),
		locustshape.Seconds(500*time.Millisecond, 250*time.Second, 0))
}

// The port runs against a local target: the first stage's 10 users are
// all of type A, and request "/" as Locust's do.
func TestRunsAgainstALocalTarget(t *testing.T) {
	t.Parallel()
	test := newTest()
	var seen map[string]int
	test.Events.OnTestStopping(func(ctx context.Context) { seen = herd.NodeFrom(ctx).UsersByType() })
	locustshape.RunShape(t, test, 10, map[string]bool{"GET /": true})
	if seen["WebsiteUserA"] != 10 || seen["WebsiteUserB"] != 0 {
		t.Errorf("users per type at the end: %v, want 10 of WebsiteUserA", seen)
	}
}
