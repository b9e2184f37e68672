package herd_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// The dispatcher wakes at most once per 10 ms quantum: at a rate denser
// than that, iterations start in batches, each up to a quantum late and
// timed from its own intended start; at a sparser rate each starts at its
// instant. Either way none starts early, and every iteration due before the
// deadline starts: those the stop finds unreleased are handed to the idle
// users before they are asked to stop.
func TestOpenModelReleasesIterationsPerQuantum(t *testing.T) {
	for _, tc := range []struct {
		rate     string
		due      uint64        // iterations due before the 2-s deadline
		minLate  time.Duration // the largest lateness is at least this
		maxLate  time.Duration // and below this
		allStart bool          // every due iteration started (none dropped)
	}{
		// 2,000/s: 20 iterations a quantum, the first of each up to 9.5 ms late.
		{rate: "2000/s", due: 4000, minLate: 9 * time.Millisecond, maxLate: 10 * time.Millisecond, allStart: true},
		// 50/s: one every 20 ms, each released at its instant.
		{rate: "50/s", due: 100, minLate: 0, maxLate: time.Nanosecond, allStart: true},
	} {
		t.Run(tc.rate, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var snap *herd.StatsSnapshot
				test := &herd.Test{Users: []*herd.UserType{{Name: "M", New: func() herd.User { return marker{"m"} }}}}
				test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
				code, _, stderr := runTest(t, context.Background(), test, "--headless", "--only-summary",
					"-u", "50", "--arrival-rate", tc.rate, "-t", "2s")
				if code != herd.ExitOK {
					t.Fatalf("exit %d\n%s", code, stderr)
				}
				// The one due at the deadline itself may start too.
				if n := snap.Iterations + snap.Dropped; n != tc.due && n != tc.due+1 {
					t.Errorf("iterations %d + dropped %d = %d, want %d (or one more)", snap.Iterations, snap.Dropped, n, tc.due)
				}
				if tc.allStart && snap.Dropped != 0 {
					t.Errorf("dropped %d, want 0", snap.Dropped)
				}
				in := snap.Total.Intended
				if in == nil {
					t.Fatal("no timing from the intended start")
				}
				// The task itself takes no time on the fake clock: its
				// timing from the intended start is its lateness.
				if in.Max < tc.minLate || in.Max >= tc.maxLate {
					t.Errorf("largest lateness %v, want in [%v, %v)", in.Max, tc.minLate, tc.maxLate)
				}
			})
		})
	}
}
