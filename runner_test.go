package herd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/stats"
)

// funcUser is a user built from closures, for runner tests.
type funcUser struct {
	tasks   func() []Task
	onStart func(context.Context) error
	onStop  func(context.Context) error
}

func (u *funcUser) Tasks() []Task { return u.tasks() }

func (u *funcUser) OnStart(ctx context.Context) error {
	if u.onStart == nil {
		return nil
	}
	return u.onStart(ctx)
}

func (u *funcUser) OnStop(ctx context.Context) error {
	if u.onStop == nil {
		return nil
	}
	return u.onStop(ctx)
}

// newTestRunner builds a runner over ts; call it inside a synctest bubble.
func newTestRunner(t testing.TB, ev *Events, opts runnerOptions, ts ...*UserType) (*runner, *stats.Stats) {
	t.Helper()
	types := make([]*userType, len(ts))
	for i, ut := range ts {
		types[i] = &userType{UserType: ut, index: i}
	}
	st := stats.New(time.Now(), stats.Options{Shards: 2})
	if ev == nil {
		ev = &Events{}
	}
	r, err := newRunner(types, st, ev, slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

// sleeper is a task that records one request after d, or returns when its
// context ends.
func sleeper(name string, d time.Duration) Task {
	return Task{Name: name, Run: func(ctx context.Context) error {
		return Time(ctx, "test", name, func(ctx context.Context) (int64, error) {
			select {
			case <-time.After(d):
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}}
}

func snapshot(st *stats.Stats) *stats.Snapshot {
	st.Tick(time.Now(), 0)
	return st.Snapshot(time.Now(), 0)
}

func entry(s *stats.Snapshot, name string) stats.Entry {
	for _, e := range s.Entries {
		if e.Name == name {
			return e
		}
	}
	return stats.Entry{}
}

func TestRampUpAndDown(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var stopped atomic.Int64
		ut := &UserType{Name: "U", Wait: Constant(time.Second), New: func() User {
			return &funcUser{
				tasks:  func() []Task { return []Task{sleeper("t", time.Millisecond)} },
				onStop: func(context.Context) error { stopped.Add(1); return nil },
			}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		done := make(chan int, 2)
		r.start(10, 5, func(n int) { done <- n })
		synctest.Wait()
		if n := r.userCount(); n != 1 {
			t.Errorf("at t=0: %d users, want 1 (the first starts at once)", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := r.userCount(); n != 6 {
			t.Errorf("at t=1s: %d users, want 6", n)
		}
		if got := <-done; got != 10 {
			t.Errorf("spawning complete at %d users", got)
		}
		// 10 users at 5/s: the tenth is due 9/5 s after the start.
		if n := r.userCount(); n != 10 {
			t.Errorf("after ramp: %d users", n)
		}
		r.start(4, 100, func(n int) { done <- n })
		if got := <-done; got != 4 || r.userCount() != 4 {
			t.Errorf("ramp down reached %d (count %d), want 4", got, r.userCount())
		}
		synctest.Wait()
		if stopped.Load() != 6 {
			t.Errorf("%d users ran OnStop after ramping down, want 6", stopped.Load())
		}
		if left := r.stop(time.Second); left != 0 {
			t.Errorf("%d users left running", left)
		}
		if stopped.Load() != 10 {
			t.Errorf("%d users ran OnStop in all, want 10", stopped.Load())
		}
	})
}

func TestRampCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to int
		rate     float64
		elapsed  time.Duration
		want     int
	}{
		{0, 10, 5, 0, 1},
		{0, 10, 5, 199 * time.Millisecond, 1},
		{0, 10, 5, 200 * time.Millisecond, 2},
		{0, 10, 5, time.Hour, 10},
		{10, 0, 2, time.Second, 7},
		{5, 5, 1, 0, 5},
		{0, 100, 0, 0, 100}, // rate 0: at once
		{0, 3, 0.5, 0, 1},   // one user every 2 s
		{0, 3, 0.5, 2 * time.Second, 2},
		{0, 1_000_000, 1e9, time.Hour, 1_000_000}, // no overflow
	}
	for _, tt := range tests {
		if got := rampCount(tt.from, tt.to, tt.rate, tt.elapsed); got != tt.want {
			t.Errorf("rampCount(%d, %d, %v, %v) = %d, want %d", tt.from, tt.to, tt.rate, tt.elapsed, got, tt.want)
		}
	}
}

func TestWeightsAndFixedCounts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mk := func(name string, w, fixed int) *UserType {
			return &UserType{Name: name, Weight: w, FixedCount: fixed, Wait: Constant(time.Second), New: func() User {
				return &funcUser{tasks: func() []Task { return []Task{sleeper(name, 0)} }}
			}}
		}
		r, _ := newTestRunner(t, nil, runnerOptions{}, mk("A", 3, 0), mk("B", 1, 0), mk("F", 0, 2))
		done := make(chan int, 1)
		r.start(10, 0, func(n int) { done <- n })
		<-done
		got := r.countsByType()
		if got["A"] != 6 || got["B"] != 2 || got["F"] != 2 {
			t.Errorf("counts = %v, want A:6 B:2 F:2", got)
		}
		r.stop(time.Second)
	})
}

func TestStopTimeoutLetsTasksFinish(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		stopTimeout time.Duration
		wantFailed  uint64 // of the 3 requests in flight, those interrupted
	}{
		{"killed at once", 0, 3},
		{"killed before the task ends", 2 * time.Second, 3},
		{"task finishes within the timeout", 10 * time.Second, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ut := &UserType{Name: "U", New: func() User {
					return &funcUser{tasks: func() []Task { return []Task{sleeper("slow", 5*time.Second)} }}
				}}
				r, st := newTestRunner(t, nil, runnerOptions{stopTimeout: tt.stopTimeout}, ut)
				done := make(chan int, 1)
				r.start(3, 0, func(n int) { done <- n })
				<-done
				time.Sleep(time.Second) // every user is one second into its task
				began := time.Now()
				if left := r.stop(time.Second); left != 0 {
					t.Fatalf("%d users left running", left)
				}
				took := time.Since(began)
				snap := snapshot(st)
				if tot := snap.Total; tot.Requests != 3 || tot.Failures != tt.wantFailed {
					t.Errorf("%d requests, %d failures recorded; want 3, %d", tot.Requests, tot.Failures, tt.wantFailed)
				}
				for _, f := range snap.Failures {
					if f.Error != failure.InterruptedMessage {
						t.Errorf("failure %q, want %q", f.Error, failure.InterruptedMessage)
					}
				}
				// Fake time: the stop timeout, or the 4 s left of the tasks.
				if want := min(tt.stopTimeout, 4*time.Second); took != want {
					t.Errorf("stop took %v, want %v", took, want)
				}
			})
		})
	}
}

func TestStopWaitsOnlyBoundedForStuckCode(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		ut := &UserType{Name: "U", New: func() User {
			return &funcUser{tasks: func() []Task {
				return []Task{{Name: "stuck", Run: func(context.Context) error {
					<-release // ignores its context
					return nil
				}}}
			}}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		done := make(chan int, 1)
		r.start(2, 0, func(n int) { done <- n })
		<-done
		synctest.Wait()
		began := time.Now()
		if left := r.stop(3 * time.Second); left != 2 {
			t.Errorf("stop reported %d stuck users, want 2", left)
		}
		if took := time.Since(began); took != 3*time.Second {
			t.Errorf("stop gave up after %v, want the 3s grace", took)
		}
		close(release)
		synctest.Wait()
	})
}

func TestControlFlow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var trace []string
		log := func(s string) { mu.Lock(); trace = append(trace, s); mu.Unlock() }
		var runs atomic.Int64
		ut := &UserType{Name: "U", Wait: Constant(time.Second), New: func() User {
			return &funcUser{
				tasks: func() []Task {
					return []Task{{Name: "set", Set: &TaskSet{
						Sequential: true,
						OnStart:    func(context.Context) error { log("set start"); return nil },
						OnStop:     func(context.Context) error { log("set stop"); return nil },
						Tasks: []Task{
							{Name: "a", Run: func(context.Context) error { log("a"); return ErrReschedule }},
							{Name: "b", Run: func(context.Context) error { log("b"); return nil }},
							{Name: "c", Run: func(context.Context) error {
								log("c")
								if runs.Add(1) == 2 {
									return ErrStopUser
								}
								return ErrInterrupt
							}},
						},
					}}}
				},
				onStart: func(context.Context) error { log("start"); return nil },
				onStop:  func(context.Context) error { log("stop"); return nil },
			}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(1, 0, nil)
		// Waits happen only after b (a reschedules, c interrupts at once):
		// the user stops itself after exactly its two 1 s waits.
		synctest.Wait()
		time.Sleep(2*time.Second - time.Nanosecond)
		synctest.Wait()
		if r.running.Load() == 0 {
			t.Fatal("the user stopped before its two waits were over")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if n := r.running.Load(); n != 0 {
			t.Fatalf("%d users still running after the two waits", n)
		}
		want := []string{"start", "set start", "a", "b", "c", "set stop", "set start", "a", "b", "c", "set stop", "stop"}
		mu.Lock()
		defer mu.Unlock()
		if len(trace) != len(want) {
			t.Fatalf("trace = %v\nwant    %v", trace, want)
		}
		for i := range want {
			if trace[i] != want[i] {
				t.Fatalf("trace = %v\nwant    %v", trace, want)
			}
		}
		if n := r.userCount(); n != 0 {
			t.Errorf("a user that stopped itself still counts: %d", n)
		}
		r.stop(time.Second)
	})
}

func TestPanicsAndErrorsAreCountedAndUsersCarryOn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var errs atomic.Int64
		ev := &Events{}
		var panics atomic.Int64
		ev.OnUserError(func(e UserError) {
			if e.Panic {
				panics.Add(1)
			}
		})
		var n atomic.Int64
		ut := &UserType{Name: "U", Wait: Constant(time.Second), New: func() User {
			return &funcUser{tasks: func() []Task {
				return []Task{{Name: "flaky", Run: func(ctx context.Context) error {
					switch n.Add(1) % 3 {
					case 0:
						var m map[string]int
						m["boom"] = 1 // panics
					case 1:
						errs.Add(1)
						return errors.New("bad thing")
					}
					return Time(ctx, "test", "ok", func(context.Context) (int64, error) { return 0, nil })
				}}}
			}}
		}}
		r, st := newTestRunner(t, ev, runnerOptions{}, ut)
		r.start(2, 0, nil)
		time.Sleep(10*time.Second - time.Nanosecond)
		r.stop(time.Second)
		s := snapshot(st)
		if n.Load() != 20 {
			t.Errorf("%d task runs, want 20 (two users, one per second, never killed)", n.Load())
		}
		if len(s.Errors) != 2 {
			t.Fatalf("errors = %+v, want one row for the panic and one for the error", s.Errors)
		}
		var total uint64
		for _, e := range s.Errors {
			total += e.Count
			if e.Message == "bad thing" && e.Trace != "returned by U.flaky" {
				t.Errorf("returned error trace = %q", e.Trace)
			}
			if e.Message != "bad thing" && (e.Message != "panic: assignment to entry in nil map" ||
				!strings.Contains(e.Trace, "runner_test.go:") || strings.Contains(e.Trace, "userloop.go") ||
				strings.Contains(e.Trace, "0x")) {
				t.Errorf("panic row = %+v", e)
			}
		}
		if int64(total) != errs.Load()+panics.Load() {
			t.Errorf("error rows count %d, want %d", total, errs.Load()+panics.Load())
		}
		if s.Total.Requests == 0 || entry(s, "ok").Requests != s.Total.Requests {
			t.Errorf("successful requests: %+v", s.Total)
		}
	})
}

func TestStopTestFromATask(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ut := &UserType{Name: "U", Wait: Constant(time.Second), New: func() User {
			return &funcUser{tasks: func() []Task {
				return []Task{{Run: func(ctx context.Context) error { return ErrStopTest }}}
			}}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(3, 0, nil)
		select {
		case <-r.stopTestRequested():
		case <-time.After(time.Minute):
			t.Fatal("ErrStopTest did not reach the runner")
		}
		r.stop(time.Second)
	})
}

func TestWaitTimes(t *testing.T) {
	t.Parallel()
	b := Between(time.Second, 3*time.Second)
	var lo, hi bool
	for range 10_000 {
		d := b(0)
		if d < time.Second || d > 3*time.Second {
			t.Fatalf("Between gave %v", d)
		}
		lo = lo || d < 1100*time.Millisecond
		hi = hi || d > 2900*time.Millisecond
	}
	if !lo || !hi {
		t.Errorf("Between does not spread over its range")
	}
	if Between(2*time.Second, time.Second)(0) < time.Second {
		t.Errorf("Between with swapped bounds")
	}
	tests := []struct {
		name    string
		w       WaitTime
		elapsed time.Duration
		want    time.Duration
	}{
		{"constant", Constant(time.Second), 5 * time.Second, time.Second},
		{"pacing, fast task", ConstantPacing(time.Second), 300 * time.Millisecond, 700 * time.Millisecond},
		{"pacing, slow task", ConstantPacing(time.Second), 2 * time.Second, 0},
		{"throughput", ConstantThroughput(4), 50 * time.Millisecond, 200 * time.Millisecond},
		{"between equal bounds", Between(time.Second, time.Second), 0, time.Second},
	}
	for _, tt := range tests {
		if got := tt.w(tt.elapsed); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPacingInTheLoop checks that pacing counts the task's own run time.
func TestPacingInTheLoop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Duration
		began := time.Now()
		ut := &UserType{Name: "U", Wait: ConstantPacing(time.Second), New: func() User {
			return &funcUser{tasks: func() []Task {
				return []Task{{Run: func(ctx context.Context) error {
					starts = append(starts, time.Since(began))
					time.Sleep(300 * time.Millisecond)
					return nil
				}}}
			}}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(1, 0, nil)
		time.Sleep(3500 * time.Millisecond)
		r.stop(time.Second)
		want := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}
		if len(starts) != len(want) {
			t.Fatalf("task started at %v, want %v", starts, want)
		}
		for i := range want {
			if starts[i] != want[i] {
				t.Fatalf("task started at %v, want %v", starts, want)
			}
		}
	})
}

func TestFilterTasks(t *testing.T) {
	t.Parallel()
	noop := func(context.Context) error { return nil }
	tasks := []Task{
		{Name: "a", Tags: []string{"x"}, Run: noop},
		{Name: "b", Tags: []string{"y"}, Run: noop},
		{Name: "c", Run: noop},
		{Name: "set", Tags: []string{"s"}, Set: &TaskSet{Tasks: []Task{
			{Name: "d", Run: noop},
			{Name: "e", Tags: []string{"y"}, Run: noop},
		}}},
	}
	names := func(ts []Task) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
			if t.Set != nil {
				for _, n := range t.Set.Tasks {
					out = append(out, t.Name+"/"+n.Name)
				}
			}
		}
		return out
	}
	tests := []struct {
		include, exclude []string
		want             []string
	}{
		{nil, nil, []string{"a", "b", "c", "set", "set/d", "set/e"}},
		{[]string{"x"}, nil, []string{"a"}},
		{[]string{"y"}, nil, []string{"b", "set", "set/e"}},
		{[]string{"s"}, nil, []string{"set", "set/d", "set/e"}}, // a set's tag covers its tasks
		{nil, []string{"y"}, []string{"a", "c", "set", "set/d"}},
		{nil, []string{"s"}, []string{"a", "b", "c"}},
		{[]string{"s"}, []string{"y"}, []string{"set", "set/d"}},
		{[]string{"nope"}, nil, nil},
	}
	for _, tt := range tests {
		got := names(filterTasks(tasks, tt.include, tt.exclude))
		if len(got) != len(tt.want) {
			t.Errorf("tags %v exclude %v: got %v, want %v", tt.include, tt.exclude, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("tags %v exclude %v: got %v, want %v", tt.include, tt.exclude, got, tt.want)
				break
			}
		}
	}
	if len(tasks[3].Set.Tasks) != 2 {
		t.Errorf("filtering changed the original task set")
	}
}

func TestTaskNames(t *testing.T) {
	t.Parallel()
	u := &funcUser{}
	tests := []struct {
		task Task
		want string
	}{
		{Task{Name: "given", Run: u.OnStart}, "given"},
		{Task{Run: u.OnStart}, "funcUser.OnStart"},
		{Task{Run: namedTaskFunc}, "namedTaskFunc"},
		{Task{Set: &TaskSet{Tasks: []Task{{Name: "inner"}}}}, "TaskSet(inner, …)"},
	}
	for _, tt := range tests {
		if got := taskName(&tt.task); got != tt.want {
			t.Errorf("taskName = %q, want %q", got, tt.want)
		}
	}
}

func namedTaskFunc(context.Context) error { return nil }

// TestPacingInANestedSet: a set's pacing counts from the end of its own
// previous wait, also when the level above has no wait time (users whose
// sets have no wait time at all skip the clock between tasks).
func TestPacingInANestedSet(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Duration
		began := time.Now()
		ut := &UserType{Name: "U", New: func() User {
			return &funcUser{tasks: func() []Task {
				return []Task{{Set: &TaskSet{Wait: ConstantPacing(time.Second), Tasks: []Task{{Run: func(ctx context.Context) error {
					starts = append(starts, time.Since(began))
					time.Sleep(300 * time.Millisecond)
					return nil
				}}}}}}
			}}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(1, 0, nil)
		time.Sleep(3500 * time.Millisecond)
		r.stop(time.Second)
		want := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}
		if !slices.Equal(starts, want) {
			t.Fatalf("task started at %v, want %v", starts, want)
		}
	})
}

func TestCompiledWaits(t *testing.T) {
	t.Parallel()
	run := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name  string
		tasks []Task
		wait  WaitTime
		want  bool
	}{
		{"none", []Task{{Run: run}}, nil, false},
		{"top", []Task{{Run: run}}, Constant(time.Second), true},
		{"nested", []Task{{Run: run}, {Set: &TaskSet{Wait: Constant(time.Second), Tasks: []Task{{Run: run}}}}}, nil, true},
		{"nested without", []Task{{Set: &TaskSet{Tasks: []Task{{Set: &TaskSet{Tasks: []Task{{Run: run}}}}}}}}, nil, false},
	} {
		if got := compile(tc.tasks, false, tc.wait).waits(); got != tc.want {
			t.Errorf("%s: waits() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
