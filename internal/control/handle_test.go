package control

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/stats"
)

// StopTest from user code ends a headless run through the life loop: the
// reason is the test's end, an error fails the run with
// --exit-code-on-error and is printed under the summary.
func TestStopTestFromCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		code int
	}{
		{"without an error", nil, ExitOK},
		{"with an error", errors.New("fail ratio 0.3 above 0.2"), 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newSetup(t, func(cfg *config.Config, _ *Options) {
					cfg.Users, cfg.SpawnRate, cfg.ExitCodeOnError = 4, 4, 7
				})
				wait := s.run(context.Background())
				time.Sleep(2500 * time.Millisecond)
				s.c.StopTest(c.err)
				code, err, took := wait()
				if err != nil || code != c.code {
					t.Errorf("Run = %d, %v; want %d", code, err, c.code)
				}
				if took != 2500*time.Millisecond {
					t.Errorf("the run took %v, want it to stop at once", took)
				}
				end := s.endOf()
				if end.Reason != StoppedFromCode || end.Failed != (c.err != nil) {
					t.Errorf("end %+v", end)
				}
				_, final := s.c.Final()
				if final != end {
					t.Errorf("Final's end %+v, want %+v", final, end)
				}
				printed := contains(s.stdout.String(), "stopped from code: fail ratio 0.3 above 0.2")
				if printed != (c.err != nil) {
					t.Errorf("reason printed: %v\n%s", printed, s.stdout)
				}
			})
		})
	}
}

// SetUsers changes the running test's users through the life loop; with
// the web UI and no test it starts one; a headless run's stopped test
// refuses it; from Init, before the loop, it is refused.
func TestSetUsersFromCode(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Headless = false })
		if err := s.c.SetUsers(3, 1); !errors.Is(err, errNotStarted) {
			t.Errorf("SetUsers before the loop = %v", err)
		}
		s.live(t)
		if err := s.c.SetUsers(-1, 1); err == nil {
			t.Error("a negative count was accepted")
		}
		if err := s.c.SetUsers(4, 0); err != nil { // no test: starts one, at once
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if l := s.c.Live(); l.State != Running || l.Users != 4 || l.Target != 4 || l.Counts["Shopper"] != 4 {
			t.Errorf("after SetUsers(4): %+v", l)
		}
		if err := s.c.SetUsers(2, 1); err != nil {
			t.Fatal(err)
		}
		if l := s.c.Live(); l.State != Spawning || l.Target != 2 {
			t.Errorf("while ramping down: %+v", l)
		}
		time.Sleep(3 * time.Second)
		if l := s.c.Live(); l.State != Running || l.Users != 2 {
			t.Errorf("after the ramp: %+v", l)
		}
		if got := s.f.targets(); !slices.Equal(got, []int{4, 2}) {
			t.Errorf("ramps %v", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Users, cfg.SpawnRate, cfg.RunTime = 2, 2, 2*time.Second })
		var after error
		s.c.opts.Hooks.TestStop = func() {
			time.Sleep(time.Second)
			after = s.c.SetUsers(5, 5) // stopped or stopping: refused
		}
		if code, err, _ := s.run(context.Background())(); code != 0 || err != nil {
			t.Fatalf("Run = %d, %v", code, err)
		}
		if after == nil {
			t.Error("SetUsers on a stopping headless test was accepted")
		}
	})
}

// The runner handle used from an OnTestStart listener, which runs on the
// life loop: it sees the new test's target, and its commands wait for the
// start to finish instead of deadlocking the loop.
func TestHandleFromTestStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var seen Live
		var setErr error
		s := newSetup(t, func(cfg *config.Config, o *Options) {
			cfg.Users, cfg.SpawnRate, cfg.RunTime = 6, 100, 5*time.Second
		})
		s.c.opts.Hooks.TestStart = func() error {
			seen = s.c.Live()
			setErr = s.c.SetUsers(2, 100)
			return nil
		}
		code, err, took := s.run(context.Background())()
		if code != 0 || err != nil || took != 5*time.Second {
			t.Fatalf("Run = %d, %v after %v", code, err, took)
		}
		if seen.State != Idle || seen.Target != 6 || seen.Users != 0 {
			t.Errorf("the listener saw %+v, want ready with the target 6", seen)
		}
		if setErr != nil {
			t.Errorf("SetUsers from OnTestStart = %v", setErr)
		}
		if got := s.f.targets(); !slices.Equal(got, []int{6, 2}) {
			t.Errorf("ramps %v, want the start's 6 then the listener's 2", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, o *Options) { cfg.Users, cfg.SpawnRate = 3, 100 })
		s.c.opts.Hooks.TestStart = func() error {
			s.c.StopTest(errors.New("no test data"))
			return nil
		}
		code, err, took := s.run(context.Background())()
		if code != ExitFailures || err != nil || took != 0 {
			t.Errorf("Run = %d, %v after %v; want the stop right after the start", code, err, took)
		}
		if end := s.endOf(); end.Reason != StoppedFromCode || end.Detail != "no test data" {
			t.Errorf("end %+v", end)
		}
	})
}

// recordingShape answers a fixed tick and keeps what it was told; at
// resetAt it resets its time.
type recordingShape struct {
	mu      sync.Mutex
	inputs  []ShapeInput
	resetAt time.Duration
	reset   bool
}

func (r *recordingShape) At(in ShapeInput) (ShapeTick, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, in)
	tick := ShapeTick{Users: 4, SpawnRate: 1.6}
	ok := in.Elapsed < 3*time.Second || !r.reset
	if !r.reset && in.Elapsed >= r.resetAt {
		r.reset, tick.ResetTime = true, true
	}
	return tick, ok
}

// A load shape is told the users running (in all and per type) and its
// time since the start, or since it reset its time.
func TestShapeInput(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		shape := &recordingShape{resetAt: 4 * time.Second}
		s := newSetup(t, func(_ *config.Config, o *Options) { o.Shape = shape })
		code, err, took := s.run(context.Background())()
		if code != 0 || err != nil {
			t.Fatalf("Run = %d, %v", code, err)
		}
		// Asked at 0 s (the start), then each second; reset at 4 s, so
		// the test ends when 3 s more have passed.
		if took != 7*time.Second {
			t.Errorf("the run took %v, want 7s", took)
		}
		var elapsed []time.Duration
		var users []int
		for _, in := range shape.inputs {
			elapsed, users = append(elapsed, in.Elapsed), append(users, in.Users)
		}
		wantElapsed := []time.Duration{0, 1, 2, 3, 4, 1, 2, 3}
		for i := range wantElapsed {
			wantElapsed[i] *= time.Second
		}
		if !slices.Equal(elapsed, wantElapsed) {
			t.Errorf("elapsed %v, want %v", elapsed, wantElapsed)
		}
		// 4 users at 1.6/s: 2.5 s of ramp, seen on the tick after.
		if want := []int{0, 0, 0, 4, 4, 4, 4, 4}; !slices.Equal(users, want) {
			t.Errorf("users %v, want %v", users, want)
		}
		if in := shape.inputs[4]; in.Counts["Shopper"] != 4 {
			t.Errorf("per type %v", in.Counts)
		}
	})
}

// The CPU warning hook runs while herd's CPU is above 90%, at most every
// 5 s, off the life loop: a listener may change the user count.
func TestCPUWarningHook(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []float64
		var setErr error
		s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Users, cfg.SpawnRate, cfg.RunTime = 4, 100, 12*time.Second })
		s.c.cpuSample = func(now time.Time) (float64, bool) { return 0.95, true }
		s.c.opts.Hooks.CPUWarning = func(percent float64) {
			mu.Lock()
			got = append(got, percent)
			mu.Unlock()
			setErr = s.c.SetUsers(2, 100) // would deadlock on the loop
		}
		if code, err, _ := s.run(context.Background())(); code != 0 || err != nil {
			t.Fatalf("Run = %d, %v", code, err)
		}
		// Ticks at 1 … 12 s: warnings at 1, 6, 11.
		if len(got) != 3 || got[0] != 95 {
			t.Errorf("warnings %v, want three of 95%%", got)
		}
		if setErr != nil {
			t.Errorf("SetUsers from the warning = %v", setErr)
		}
		if tg := s.f.targets(); len(tg) < 2 || tg[1] != 2 {
			t.Errorf("ramps %v", tg)
		}
	})
}

// The web UI's reset runs the ResetStats hook before the statistics are
// reset, as Locust fires reset_stats; --reset-stats does not run it.
func TestResetStatsHook(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var before []uint64
		s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Headless, cfg.ResetStats = false, true })
		s.c.opts.Hooks.ResetStats = func() {
			before = append(before, s.c.Snapshot().Total.Requests)
		}
		s.live(t)
		if err := s.c.Swarm(Start{Users: 2, SpawnRate: 100}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		if len(before) != 0 {
			t.Fatalf("--reset-stats ran the hook: %v", before)
		}
		uiController{s.c}.ResetStats()
		if len(before) != 1 || before[0] == 0 {
			t.Errorf("the hook saw %v requests, want those before the reset", before)
		}
		if n := s.c.Snapshot().Total.Requests; n != 0 {
			t.Errorf("%d requests after the reset", n)
		}
	})
}

// A worker's part as the runner handle reads it: its state through a
// spawn and a stop, its users, its own statistics merged from each report,
// and StopTest makes it leave.
func TestWorkerHandle(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Worker, cfg.Headless = true, false })
	var hooks []string
	s.c.opts.Hooks = Hooks{
		TestStopping: func() { hooks = append(hooks, "test_stopping") },
		TestStop:     func() { hooks = append(hooks, "test_stop") },
	}
	quit := make(chan struct{})
	now := time.Now()
	w := &workerLocal{c: s.c, st: stats.New(now, stats.Options{}), own: stats.New(now, stats.Options{Shards: 1}),
		quit: func() { close(quit) }}
	s.c.worker = w
	if l := s.c.Live(); l.State != Idle || l.Counts["Shopper"] != 0 {
		t.Errorf("before a spawn: %+v", l)
	}
	w.Apply(map[string]int{"Shopper": 3}, "http://127.0.0.1:1", 0)
	if l := s.c.Live(); l.State != Spawning || l.Target != 3 || l.Users != 3 {
		t.Errorf("after a spawn: %+v", l)
	}
	w.spawned()
	if l := s.c.Live(); l.State != Running {
		t.Errorf("after the confirmation: %+v", l)
	}
	// A worker keeps statistics of its own only once asked.
	w.st.Shard(0).Record("GET", "/a", time.Millisecond, 10, "")
	w.TakeDelta(time.Now())
	if snap := s.c.LiveStats(); snap.Total.Requests != 0 {
		t.Errorf("statistics kept before they were asked for: %d requests", snap.Total.Requests)
	}
	w.st.Shard(0).Record("GET", "/a", time.Millisecond, 10, "")
	w.st.Shard(0).Record("GET", "/a", time.Millisecond, 10, "boom")
	w.TakeDelta(time.Now())
	w.st.Shard(0).Record("GET", "/a", time.Millisecond, 10, "")
	w.TakeDelta(time.Now())
	snap := s.c.LiveStats()
	if snap.Total.Requests != 3 || snap.Total.Failures != 1 {
		t.Errorf("own statistics %d requests, %d failures; want 3 and 1", snap.Total.Requests, snap.Total.Failures)
	}
	if err := s.c.SetUsers(5, 1); !errors.Is(err, errWorkerUsers) {
		t.Errorf("SetUsers on a worker = %v", err)
	}
	if s.c.Workers() != nil {
		t.Error("a worker lists workers")
	}
	s.c.StopTest(errors.New("done"))
	<-quit
	w.close()
	if l := s.c.Live(); l.State != Stopped || l.Users != 0 {
		t.Errorf("after the stop: %+v", l)
	}
	if end := w.lastEnd(); end.Reason != StoppedFromCode || !end.Failed {
		t.Errorf("end %+v", end)
	}
	if !slices.Equal(hooks, []string{"test_stopping", "test_stop"}) {
		t.Errorf("hooks %v", hooks)
	}
}
