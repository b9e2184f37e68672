package herd_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// msCaller's calls take exactly 1 ms (of synctest's fake clock).
type msCaller struct{}

func (msCaller) Tasks() []herd.Task {
	return []herd.Task{{Name: "call", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "rpc", "call", func(ctx context.Context) (int64, error) {
			select {
			case <-time.After(time.Millisecond):
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}}}
}

// TestArrivalQuantumFlag: --arrival-quantum reaches the dispatcher. At
// 1,000 iterations/s with free users, the default (10 ms) starts the
// iterations due in each window together, so the timing from the intended
// start shows up to that lateness; 0 starts each at its own instant, so it
// equals the service time. The counts are the same either way.
func TestArrivalQuantumFlag(t *testing.T) {
	for _, tt := range []struct {
		quantum        string
		minMax, maxMax time.Duration // bounds of the intended-start maximum
	}{
		{"0", time.Millisecond, time.Millisecond},
		{"10ms", 5 * time.Millisecond, 11 * time.Millisecond},
	} {
		t.Run(tt.quantum, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var snap *herd.StatsSnapshot
				test := &herd.Test{Users: []*herd.UserType{{Name: "Caller", New: func() herd.User { return msCaller{} }}}}
				test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
				code, _, stderr := runTest(t, context.Background(), test, "--headless", "-u", "20",
					"--arrival-rate", "1000/s", "--arrival-quantum", tt.quantum, "-t", "2s", "-s", "1s", "--only-summary")
				if code != herd.ExitOK {
					t.Fatalf("exit %d\n%s", code, stderr)
				}
				tot := snap.Total
				if snap.Iterations < 2000 || snap.Iterations > 2001 || snap.Dropped != 0 || tot.Requests != snap.Iterations {
					t.Errorf("iterations %d, dropped %d, requests %d; want 2000 or 2001, 0, as many", snap.Iterations, snap.Dropped, tot.Requests)
				}
				if tot.Max != time.Millisecond {
					t.Errorf("service max %v, want 1ms", tot.Max)
				}
				if m := tot.Intended.Max; m < tt.minMax || m > tt.maxMax {
					t.Errorf("intended-start max %v, want %v to %v", m, tt.minMax, tt.maxMax)
				}
			})
		})
	}
}
