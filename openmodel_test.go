package herd_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// stallingService models a target that answers in 1 ms but stalls for 1 s
// every 3 s: a request in flight during a stall ends when the stall does.
// It runs on synctest's fake clock, so the run is exact and instant.
type stallingService struct{ t0 time.Time }

func (s stallingService) call(ctx context.Context) (int64, error) {
	phase := time.Since(s.t0) % (3 * time.Second)
	d := time.Millisecond
	if phase >= 2*time.Second {
		d = 3*time.Second - phase
	}
	select {
	case <-time.After(d):
		return 1, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

type caller struct{ svc stallingService }

func (c caller) Tasks() []herd.Task {
	return []herd.Task{{Name: "call", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "rpc", "call", c.svc.call)
	}}}
}

// The coordinated-omission test of issue 6: in the open model, a target
// that stalls for 1 s every 3 s shows the stall in the percentiles from the
// intended start, while the service time (from the actual send) stays low
// because only the two requests in flight saw the stall.
func TestOpenModelShowsStallsInIntendedTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := stallingService{t0: time.Now()}
		var snap *herd.StatsSnapshot
		test := &herd.Test{Users: []*herd.UserType{{
			Name: "Caller",
			New: func() herd.User {
				return caller{svc}
			},
		}}}
		test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
		// -s: the requests in flight at the end (in a stall) finish; killed,
		// they would count as failures "interrupted at stop" (exit 1).
		code, stdout, stderr := runTest(t, context.Background(), test,
			"--headless", "-u", "2", "--arrival-rate", "200/s", "-t", "8s", "-s", "2s", "--json", "--only-summary")
		if code != herd.ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		tot := snap.Total
		// 8 s at 200/s on the fake clock: 1600, and the one due at 8 s when
		// it starts before the deadline's stop (the two are simultaneous).
		if snap.Iterations < 1600 || snap.Iterations > 1601 || snap.Dropped != 0 {
			t.Errorf("iterations %d dropped %d, want 1600 or 1601 and 0", snap.Iterations, snap.Dropped)
		}
		if tot.Requests != snap.Iterations && tot.Requests+2 < snap.Iterations {
			t.Errorf("requests %d, iterations %d", tot.Requests, snap.Iterations)
		}
		p99 := tot.Percentile(0.99)
		if tot.Intended == nil {
			t.Fatal("no timing from the intended start")
		}
		ip99 := tot.Intended.Percentile(0.99)
		t.Logf("service p99 %v max %v; from intended start p95 %v p99 %v max %v",
			p99, tot.Max, tot.Intended.Percentile(0.95), ip99, tot.Intended.Max)
		// Fake time: a service time is 1 ms (the histogram's bucket holds it
		// within 1/128), or up to the whole 1 s stall for the requests in
		// flight when it began: too few to reach the p99.
		if p99 < time.Millisecond || p99 > time.Millisecond+time.Millisecond/128 {
			t.Errorf("service p99 = %v, want 1ms: only the requests in flight saw the stall", p99)
		}
		if ip99 < 800*time.Millisecond {
			t.Errorf("intended-start p99 = %v, want the ~1 s stall to show", ip99)
		}
		if tot.Max != time.Second {
			t.Errorf("service max = %v, want the stalled in-flight request sent as the stall began (1 s)", tot.Max)
		}

		// The JSON report carries both timings and the iteration counts.
		var doc struct {
			Total struct {
				Intended struct {
					Percentiles map[string]float64 `json:"percentiles"`
				} `json:"intended"`
			} `json:"total"`
			Iterations uint64 `json:"iterations"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Iterations != snap.Iterations || doc.Total.Intended.Percentiles["99"] < 800 {
			t.Errorf("JSON iterations %d, intended p99 %v ms", doc.Iterations, doc.Total.Intended.Percentiles["99"])
		}
		if !strings.Contains(stderr, "from the intended start") || !strings.Contains(stderr, "Iterations: ") {
			t.Errorf("summary lacks the intended-start table or the iteration line:\n%s", stderr)
		}
	})
}

type slowCaller struct{}

func (slowCaller) Tasks() []herd.Task {
	return []herd.Task{{Name: "slow", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "rpc", "slow", func(ctx context.Context) (int64, error) {
			select {
			case <-time.After(50 * time.Millisecond):
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}}}
}

// A pool too small for the rate drops iterations and says so; the pool
// grows to --max-users first. A ramping rate ends the test when it ends.
func TestOpenModelDropsWhatThePoolCannotServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var snap *herd.StatsSnapshot
		test := &herd.Test{Users: []*herd.UserType{{Name: "Slow", New: func() herd.User { return slowCaller{} }}}}
		test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
		// 100/s for 10 s; 2 users of 50 ms each serve at most 40/s.
		code, stdout, stderr := runTest(t, context.Background(), test, "--headless", "--only-summary",
			"-u", "1", "--max-users", "2", "--max-lateness", "200ms", "-s", "1s", // no request interrupted at the end
			"--arrival-rate", "stages:start=100,10s:100")
		if code != herd.ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "arrival-rate schedule finished") {
			t.Errorf("the run did not end with its schedule:\n%s", stderr)
		}
		due := snap.Iterations + snap.Dropped
		t.Logf("iterations %d, dropped %d, requests %d, users %d", snap.Iterations, snap.Dropped, snap.Total.Requests, snap.Users)
		if due != 1000 {
			t.Errorf("%d iterations due, want 1000", due)
		}
		if snap.Iterations < 380 || snap.Iterations > 420 {
			t.Errorf("%d iterations ran, want ~400 (2 users × 20/s × 10 s)", snap.Iterations)
		}
		if snap.Users != 2 {
			t.Errorf("pool of %d users at the end, want it grown to --max-users 2", snap.Users)
		}
		for _, want := range []string{"iterations dropped", "raise --max-users", "% of those due"} {
			if !strings.Contains(stdout+stderr, want) {
				t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
			}
		}
	})
}

// Iterations go to user types by weight, and every type gets a user of the
// pool even when -u is smaller than the number of types.
func TestOpenModelSplitsIterationsByWeight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var snap *herd.StatsSnapshot
		test := &herd.Test{Users: []*herd.UserType{
			{Name: "Reader", Weight: 3, New: func() herd.User { return marker{"read"} }},
			{Name: "Writer", Weight: 1, New: func() herd.User { return marker{"write"} }},
		}}
		test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
		code, _, stderr := runTest(t, context.Background(), test, "--headless", "--only-summary",
			"-u", "1", "--arrival-rate", "stages:start=100,2s:100")
		if code != herd.ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		got := map[string]uint64{}
		for _, e := range snap.Entries {
			got[e.Name] = e.Requests
		}
		if got["read"] != 150 || got["write"] != 50 || snap.Dropped != 0 {
			t.Errorf("requests %v, dropped %d; want read 150, write 50, none dropped", got, snap.Dropped)
		}
	})
}
