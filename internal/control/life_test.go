package control

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/config"
)

func TestStateMoves(t *testing.T) {
	t.Parallel()
	all := []State{Idle, Spawning, Running, Stopping, Stopped}
	allowed := map[[2]State]bool{
		{Idle, Spawning}:     true,
		{Spawning, Spawning}: true, {Spawning, Running}: true, {Spawning, Stopping}: true,
		{Running, Spawning}: true, {Running, Stopping}: true,
		{Stopping, Stopped}: true,
		{Stopped, Spawning}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := canMove(from, to); got != allowed[[2]State{from, to}] {
				t.Errorf("canMove(%s, %s) = %v", from, to, got)
			}
		}
	}
	if Idle.String() != "ready" || Stopped.String() != "stopped" || State(9).String() != "State(9)" {
		t.Error("state names are not Locust's")
	}
}

// TestHeadlessEnds runs a headless test to each of its ends on a fake
// engine: the run ends when and why it should, every hook runs once and in
// order, and Run returns only once every goroutine it started is done
// (synctest fails the test otherwise).
func TestHeadlessEnds(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		tweak  func(*config.Config, *Options)
		during func(s *setup, cancel context.CancelFunc) // runs 2.5 s into the test
		reason Reason
		took   time.Duration // from Run to its return, in fake time
		code   int
	}
	for _, c := range []tc{
		{name: "run time", tweak: func(cfg *config.Config, _ *Options) { cfg.RunTime = 4 * time.Second },
			reason: RunTimeReached, took: 4 * time.Second},
		{name: "run time not on a tick", tweak: func(cfg *config.Config, _ *Options) { cfg.RunTime = 3250 * time.Millisecond },
			reason: RunTimeReached, took: 3250 * time.Millisecond},
		{name: "interrupted", during: func(_ *setup, cancel context.CancelFunc) { cancel() },
			reason: Interrupted, took: 2500 * time.Millisecond},
		{name: "a task stopped the test", during: func(s *setup, _ context.CancelFunc) { close(s.f.last().stopTest) },
			reason: TestStopped, took: 2500 * time.Millisecond},
		{name: "threshold", tweak: func(cfg *config.Config, _ *Options) { cfg.Thresholds = mustThresholds(t, "requests<15;abort") },
			reason: ThresholdBroken, took: 4 * time.Second, code: ExitThreshold},
		{name: "shape", tweak: func(_ *config.Config, o *Options) {
			o.Shape = shapeFunc(func(d time.Duration) (ShapeTick, bool) { return ShapeTick{Users: 5}, d < 3*time.Second })
		}, reason: ShapeFinished, took: 3 * time.Second},
		{name: "schedule", tweak: func(cfg *config.Config, _ *Options) { cfg.ArrivalRate = mustRate(t, "10/s") },
			reason: ScheduleFinished, took: 3 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newSetup(t, func(cfg *config.Config, o *Options) {
					cfg.Users, cfg.SpawnRate = 10, 10
					if c.tweak != nil {
						c.tweak(cfg, o)
					}
				})
				s.f.schedule = 3 * time.Second
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				wait := s.run(ctx)
				if c.during != nil {
					time.Sleep(2500 * time.Millisecond)
					c.during(s, cancel)
				}
				code, err, took := wait()
				if err != nil || code != c.code {
					t.Errorf("Run = %d, %v; want %d\n%s", code, err, c.code, s.logs)
				}
				if got := s.endOf().Reason; got != c.reason {
					t.Errorf("the test ended for %q, want %q", got, c.reason)
				}
				if took != c.took {
					t.Errorf("the run took %v, want %v", took, c.took)
				}
				want := []string{"init", "test_start", "spawning_complete", "test_stopping", "test_stop", "quitting"}
				if got := s.hooks.list(); !slices.Equal(got, want) {
					t.Errorf("hooks ran %v, want %v", got, want)
				}
				if got := s.c.State(); got != Stopped {
					t.Errorf("state %s after the run", got)
				}
			})
		})
	}
}

type shapeFunc func(time.Duration) (ShapeTick, bool)

func (f shapeFunc) At(in ShapeInput) (ShapeTick, bool) { return f(in.Elapsed) }

// live starts s's life loop without a driver, as the web UI uses it, and
// shuts it down when the test ends.
func (s *setup) live(t *testing.T) {
	s.c.lifeStarted.Store(true)
	s.c.wg.Go(s.c.life)
	s.c.wg.Go(func() { s.c.notes.run(s.c.stopLife) })
	t.Cleanup(s.c.shutdown)
}

// A start the engine refuses leaves the state as it was, so the next
// start is refused the same way instead of running another kind of test.
func TestRefusedStartKeepsState(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) {
			cfg.Headless, cfg.ArrivalRate = false, mustRate(t, "10/s")
		})
		s.f.openErr = errRefused
		s.live(t)
		for range 2 {
			if err := s.c.Swarm(Start{Users: 5, SpawnRate: 1}); !errors.Is(err, errRefused) {
				t.Fatalf("Swarm = %v, want the engine's refusal", err)
			}
			if st := s.c.State(); st != Idle {
				t.Fatalf("state %s after a refused start, want ready", st)
			}
		}
		if got := s.f.targets(); len(got) != 0 {
			t.Errorf("a refused open-model start ramped users: %v", got)
		}
		// TestStart ran for each attempt, so TestStopping and TestStop did too.
		want := []string{"test_start", "test_stopping", "test_stop", "test_start", "test_stopping", "test_stop"}
		if got := s.hooks.list(); !slices.Equal(got, want) {
			t.Errorf("hooks ran %v, want %v", got, want)
		}
	})
}

// With the web UI, a test that ends on its own only stops: the process
// stays until --autoquit (when set) or an interrupt.
func TestUITestEndsButProcessStays(t *testing.T) {
	t.Parallel()
	for _, autoquit := range []int{-1, 5} {
		synctest.Test(t, func(t *testing.T) {
			s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Headless, cfg.Autoquit = false, autoquit })
			s.live(t)
			if err := s.c.Swarm(Start{Users: 4, SpawnRate: 2}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			if st := s.c.State(); st != Running {
				t.Fatalf("state %s, want running", st)
			}
			close(s.f.last().stopTest)
			synctest.Wait()
			if st := s.c.State(); st != Stopped {
				t.Fatalf("state %s after ErrStopTest, want stopped", st)
			}
			select {
			case e := <-s.c.quit:
				t.Fatalf("the process was asked to quit at once (%s)", e)
			default:
			}
			time.Sleep(10 * time.Second)
			select {
			case e := <-s.c.quit:
				if autoquit < 0 {
					t.Errorf("quit without --autoquit: %s", e)
				}
			default:
				if autoquit >= 0 {
					t.Error("--autoquit 5 did not quit within 10 s")
				}
			}
			// A new test starts from the stopped one.
			if err := s.c.Swarm(Start{Users: 2, SpawnRate: 2}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			if st := s.c.State(); st != Running || len(s.f.locals) != 2 {
				t.Errorf("state %s with %d runners after a restart", st, len(s.f.locals))
			}
			if h := s.c.History(); len(h) == 0 || len(h) > 2 {
				t.Errorf("the new test has %d history rows", len(h))
			}
		})
	}
}

// A change of the user count while a ramp is under way replaces it, and
// only the latest ramp reaching its target makes the test running.
func TestChangeDuringRamp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) { cfg.Headless = false })
		s.live(t)
		if err := s.c.Swarm(Start{Users: 10, SpawnRate: 1}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if err := s.c.Swarm(Start{Users: 3, SpawnRate: 1, RunTime: 20 * time.Second}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if st := s.c.State(); st != Spawning {
			t.Errorf("state %s before the new ramp ended", st)
		}
		time.Sleep(1500 * time.Millisecond)
		if st, users := s.c.State(), s.f.last().Users(); st != Running || users != 3 {
			t.Errorf("state %s with %d users, want running with 3", st, users)
		}
		if got := s.f.targets(); !slices.Equal(got, []int{10, 3}) {
			t.Errorf("ramps %v", got)
		}
		// The new run time counts from the change.
		time.Sleep(16 * time.Second)
		if st := s.c.State(); st != Running {
			t.Errorf("state %s before the new deadline", st)
		}
		time.Sleep(time.Second)
		if st, end := s.c.State(), s.endOf(); st != Stopped || end.Reason != RunTimeReached {
			t.Errorf("state %s (%s) after the new deadline", st, end)
		}
	})
}

// While a test stops, a start is refused with a clear message and the
// status says stopping.
func TestStartWhileStopping(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, o *Options) {
			cfg.Headless = false
			o.Hooks.TestStop = func() { time.Sleep(5 * time.Second) } // slow OnTestStop listeners
		})
		s.live(t)
		if err := s.c.Swarm(Start{Users: 2, SpawnRate: 2}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		s.c.Stop()
		time.Sleep(time.Second)
		if st := s.c.State(); st != Stopping {
			t.Fatalf("state %s, want stopping", st)
		}
		if err := s.c.Swarm(Start{Users: 2, SpawnRate: 2}); err == nil || !contains(err.Error(), "stopping") {
			t.Errorf("Swarm while stopping = %v", err)
		}
		time.Sleep(5 * time.Second)
		if st, end := s.c.State(), s.endOf(); st != Stopped || end.Reason != StoppedFromUI {
			t.Errorf("state %s (%s)", st, end)
		}
	})
}

// The final reports agree with each other and with what was recorded.
func TestFinalReportsAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) {
			cfg.Users, cfg.SpawnRate, cfg.RunTime = 3, 3, 5*time.Second
			cfg.CSVPrefix = filepath.Join(dir, "run")
			cfg.JSONFile = filepath.Join(dir, "run.json")
		})
		code, err, _ := s.run(context.Background())()
		if code != 0 || err != nil {
			t.Fatalf("Run = %d, %v", code, err)
		}
		want := s.c.current().stats.Snapshot(s.c.current().stopped, 0).Total.Requests
		if want == 0 {
			t.Fatal("the fake recorded nothing")
		}
		f, err := os.Open(cfg(dir, "run_stats.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1]
		if last[1] != "Aggregated" || last[2] != itoa(want) {
			t.Errorf("CSV total row %v, want %d requests", last, want)
		}
		data, err := os.ReadFile(cfg(dir, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Total struct {
				Requests uint64 `json:"num_requests"`
			} `json:"total"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Total.Requests != want {
			t.Errorf("JSON total %d, want %d\n%s", doc.Total.Requests, want, data)
		}
		if !contains(s.stdout.String(), "Aggregated") {
			t.Errorf("no summary:\n%s", s.stdout)
		}
	})
}

// A user count the process cannot hold is refused before any user starts,
// a start or a change; one that likely will not fit is warned about.
func TestCapacityChecksUpFront(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, o *Options) {
			cfg.Headless = false
			o.Capacity = func(counts map[string]int) (string, error) {
				switch n := counts["Shopper"]; {
				case n > 100:
					return "", errors.New("too many users for this process")
				case n > 50:
					return "likely too many", nil
				}
				return "", nil
			}
		})
		s.live(t)
		if err := s.c.Swarm(Start{Users: 1000, SpawnRate: 10}); err == nil || !contains(err.Error(), "too many") {
			t.Fatalf("Swarm(1000) = %v", err)
		}
		if st := s.c.State(); st != Idle || len(s.f.targets()) != 0 || len(s.hooks.list()) != 0 {
			t.Fatalf("a refused start changed something: %s, ramps %v, hooks %v", st, s.f.targets(), s.hooks.list())
		}
		if err := s.c.Swarm(Start{Users: 60, SpawnRate: 60}); err != nil {
			t.Fatal(err)
		}
		if !contains(s.logs.String(), "likely too many") {
			t.Errorf("no warning logged:\n%s", s.logs)
		}
		time.Sleep(2 * time.Second)
		if err := s.c.Swarm(Start{Users: 500, SpawnRate: 60}); err == nil {
			t.Error("a change to 500 users was accepted")
		}
		if got := s.f.targets(); !slices.Equal(got, []int{60}) {
			t.Errorf("ramps %v, want only [60]", got)
		}
	})
}
