package herd_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// callerTest is one user type whose task records one "rpc call" a
// period, a quarter of a second into it (so, in fake time, never at the
// same instant as a tick of the statistics), and then runs more, if
// given; fail decides whether the i-th call (from 1) fails.
func callerTest(period time.Duration, fail func(i int64) bool, more func(ctx context.Context, i int64)) *herd.Test {
	const offset = 250 * time.Millisecond
	var n atomic.Int64
	return &herd.Test{Users: []*herd.UserType{{Name: "Caller", Wait: herd.Constant(period - offset), New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Name: "call", Run: func(ctx context.Context) error {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(offset):
				}
				i := n.Add(1)
				var err error
				if fail != nil && fail(i) {
					err = errors.New("boom")
				}
				herd.Record(ctx, herd.Request{Kind: "rpc", Name: "call", Duration: time.Millisecond, Err: err})
				if more != nil {
					more(ctx, i)
				}
				return nil
			}}}
		})
	}}}}
}

// Locust's stop_on_threshold.py: a goroutine started with the test reads
// the live statistics once a second and stops the test from code when the
// fail ratio passes 20%; the reason is the run's, and it fails the run.
func TestStopTestOnFailRatio(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		test := callerTest(time.Second, func(i int64) bool { return i > 20 }, nil)
		var wg sync.WaitGroup
		var stoppedAt time.Duration
		start := time.Now()
		test.Events.OnTestStart(func(ctx context.Context) error {
			node := herd.NodeFrom(ctx)
			wg.Go(func() {
				time.Sleep(100 * time.Millisecond) // looks at 1.1 s, 2.1 s, …: after each tick
				for s := node.State(); s != herd.StateStopping && s != herd.StateStopped; s = node.State() {
					time.Sleep(time.Second)
					if r := node.Stats().Total.FailRatio(); r > 0.2 {
						stoppedAt = time.Since(start)
						node.StopTest(fmt.Errorf("fail ratio %.2f above 0.2", r))
						return
					}
				}
			})
			return nil
		})
		test.Events.OnTestStop(func(context.Context) { wg.Wait() })
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "5", "-r", "5", "-t", "60s"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != herd.ExitFailures || res.Reason != "stopped from code: fail ratio 0.31 above 0.2" {
			t.Errorf("Result %d %q, want exit 1 for the code's reason", res.ExitCode, res.Reason)
		}
		// Users start every 0.2 s and call a second later each: by the
		// tick at 5 s, 24 calls (4 failed: 17%), at 6 s 29 (9: 31%), seen
		// at 6.1 s.
		if stoppedAt != 6100*time.Millisecond || res.Stats.Duration != stoppedAt {
			t.Errorf("stopped at %v (statistics cover %v), want 6.1s", stoppedAt, res.Stats.Duration)
		}
		if r := res.Stats.Total.FailRatio(); r <= 0.2 {
			t.Errorf("final fail ratio %v", r)
		}
	})
}

// A task changes the user count from code: the test ramps to it, and the
// runner handle reports the new target, users and state.
func TestSetUsersFromATask(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var setErr atomic.Value
		test := callerTest(time.Second, nil, func(ctx context.Context, i int64) {
			if i == 1 {
				if err := herd.NodeFrom(ctx).SetUsers(4, 2); err != nil {
					setErr.Store(err)
				}
			}
		})
		var mu sync.Mutex
		var spawned []int
		test.Events.OnSpawningComplete(func(users int) {
			mu.Lock()
			spawned = append(spawned, users)
			mu.Unlock()
		})
		var atStop []any
		test.Events.OnTestStopping(func(ctx context.Context) {
			n := herd.NodeFrom(ctx)
			atStop = []any{n.State(), n.Users(), n.UsersByType()["Caller"], n.TargetUsers()}
		})
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "1", "-r", "1", "-t", "5s"}})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("Execute = %+v, %v", res, err)
		}
		if v := setErr.Load(); v != nil {
			t.Errorf("SetUsers = %v", v)
		}
		if !slices.Equal(spawned, []int{1, 4}) {
			t.Errorf("spawning complete at %v, want [1 4]", spawned)
		}
		if want := []any{herd.StateStopping, 4, 4, 4}; !slices.Equal(atStop, want) {
			t.Errorf("at the stop: state, users, per type, target = %v, want %v", atStop, want)
		}
	})
}

// stepShape is Locust's custom_shape/wait_user_count.py: each step's user
// count is held for its dwell time once it is reached (not from when it
// was asked for), so a slow ramp delays the next step.
type stepShape struct {
	steps   []struct{ users, dwell int }
	step    int
	holding bool
	seen    []string
}

func (s *stepShape) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	if s.step >= len(s.steps) {
		return herd.ShapeTick{}, false
	}
	target := s.steps[s.step]
	s.seen = append(s.seen, fmt.Sprintf("%d:%d", st.Users, st.UsersByType["Caller"]))
	if st.Users == target.users {
		if !s.holding {
			st.ResetTime()
			s.holding = true
		}
		if st.Elapsed > time.Duration(target.dwell)*time.Second {
			s.step++
			s.holding = false
		}
	}
	return herd.ShapeTick{Users: target.users, SpawnRate: 0.8}, true
}

// A shape sees the users running and resets its time base: each step is
// held from when its count is reached.
func TestShapeWaitsForUserCount(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		test := callerTest(time.Second, nil, nil)
		shape := &stepShape{steps: []struct{ users, dwell int }{{3, 3}, {1, 2}}}
		test.Shape = shape
		start := time.Now()
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless"}})
		if err != nil || res.ExitCode != 0 || res.Reason != "load shape finished" {
			t.Fatalf("Execute = %+v, %v", res, err)
		}
		// 0.8 users a second: 1 at once, 2 at 1.25 s, 3 at 2.5 s, seen at
		// 3 s (reset); its time passes 3 s at 7 s: the next step, asked
		// for on the tick after (as Locust's tick returns the old target
		// when it moves on): 2 users at 8 s, 1 at 9.25 s, seen at 10 s
		// (reset); its time passes 2 s at 13 s; over on the tick after.
		if took := time.Since(start); took != 14*time.Second {
			t.Errorf("the shape ended after %v, want 14s", took)
		}
		want := []string{"0:0", "1:1", "2:2", "3:3", "3:3", "3:3", "3:3", "3:3", "3:3", "2:2", "1:1", "1:1", "1:1", "1:1"}
		if !slices.Equal(shape.seen, want) {
			t.Errorf("the shape saw users %v,\nwant %v", shape.seen, want)
		}
	})
}

// Test.Thresholds are a layer of options: they fail a run with exit code
// 4, a --threshold replaces them, and a bad one is refused up front.
func TestTestThresholds(t *testing.T) {
	t.Parallel()
	run := func(test *herd.Test, args ...string) (herd.Result, error) {
		var res herd.Result
		var err error
		synctest.Test(t, func(t *testing.T) {
			res, err = test.Execute(context.Background(), herd.Env{Args: append([]string{"--headless", "-u", "2", "-r", "2", "-t", "3s"}, args...)})
		})
		return res, err
	}
	test := callerTest(time.Second, nil, nil)
	test.Thresholds = []string{"requests>1000", "rpc call: fail_ratio<1%"}
	if res, err := run(test); err != nil || res.ExitCode != herd.ExitThreshold {
		t.Errorf("the test's failing threshold: %d, %v; want exit 4", res.ExitCode, err)
	}
	if res, err := run(test, "--threshold", "requests>0"); err != nil || res.ExitCode != herd.ExitOK {
		t.Errorf("replaced by --threshold: %d, %v; want exit 0", res.ExitCode, err)
	}
	test.Thresholds = []string{"requests>0", "p95<3xx"}
	res, err := run(test)
	if res.ExitCode != herd.ExitConfig || err == nil || !strings.Contains(err.Error(), "Test.Thresholds[1]") || res.Stats != nil {
		t.Errorf("a bad threshold: %+v, %v; want exit 2 naming Test.Thresholds[1]", res, err)
	}
}

// Execute returns the exit code as listeners left it, the final
// statistics and why the test ended; nothing ran on bad options.
func TestExecuteResult(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		test := callerTest(time.Second, func(i int64) bool { return i == 2 }, nil)
		var quit *herd.StatsSnapshot
		test.Events.OnQuitting(func(q *herd.Quit) {
			quit = q.Stats
			q.ExitCode = 9
		})
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "2", "-r", "2", "-t", "3s"}})
		if err != nil || res.ExitCode != 9 || res.Reason != "run time limit reached" {
			t.Fatalf("Execute = %d %q, %v", res.ExitCode, res.Reason, err)
		}
		if res.Stats == nil || res.Stats.Total.Requests != 6 || res.Stats.Total.Failures != 1 ||
			res.Stats.Total.Requests != quit.Total.Requests {
			t.Errorf("final statistics %+v, quitting saw %+v", res.Stats.Total, quit.Total)
		}
	})
	res, err := callerTest(time.Second, nil, nil).Execute(context.Background(), herd.Env{Args: []string{"--users", "many"}})
	if err == nil || res.ExitCode != herd.ExitConfig || res.Stats != nil || res.Reason != "" {
		t.Errorf("bad options: %+v, %v", res, err)
	}
}

// eventLog records what one process's test fired, in order.
type eventLog struct {
	mu  sync.Mutex
	got []string
}

func (l *eventLog) add(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, what)
}

func (l *eventLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

// recordEvents makes test record each event it fires, and its users'
// OnStart and OnStop.
func recordEvents(test *herd.Test) *eventLog {
	l := &eventLog{}
	e := &test.Events
	e.OnInit(func(context.Context, *herd.RunInfo) error { l.add("init"); return nil })
	e.OnTestStart(func(context.Context) error { l.add("test_start"); return nil })
	e.OnSpawningComplete(func(int) { l.add("spawning_complete") })
	e.OnTestStopping(func(context.Context) { l.add("test_stopping") })
	e.OnTestStop(func(context.Context) { l.add("test_stop") })
	e.OnQuitting(func(*herd.Quit) { l.add("quitting") })
	for _, ut := range test.Users {
		newUser := ut.New
		ut.New = func() herd.User { return lifeUser{User: newUser(), log: l} }
	}
	return l
}

// lifeUser records its OnStart and OnStop.
type lifeUser struct {
	herd.User
	log *eventLog
}

func (u lifeUser) OnStart(context.Context) error { u.log.add("user_start"); return nil }
func (u lifeUser) OnStop(context.Context) error  { u.log.add("user_stop"); return nil }

// checkOrder compares the events of a node with Locust 2.12.1's order:
// users start between test_start and test_stopping, and stop between
// test_stopping and test_stop.
func checkOrder(t *testing.T, role herd.Role, got []string, users int) {
	t.Helper()
	var run []string
	starts, stops := 0, 0
	phase := ""
	for _, e := range got {
		switch e {
		case "user_start":
			starts++
			if phase != "test_start" && phase != "spawning_complete" {
				t.Errorf("%s: a user started after %q: %v", role, phase, got)
			}
			continue
		case "user_stop":
			stops++
			if phase != "test_stopping" {
				t.Errorf("%s: a user stopped after %q: %v", role, phase, got)
			}
			continue
		}
		phase = e
		run = append(run, e)
	}
	want := []string{"init", "test_start", "spawning_complete", "test_stopping", "test_stop", "quitting"}
	if !slices.Equal(run, want) {
		t.Errorf("%s fired %v,\nLocust fires %v", role, run, want)
	}
	if starts != users || stops != users {
		t.Errorf("%s: %d users started and %d stopped, want %d", role, starts, stops, users)
	}
}

// The events of a headless run fire in Locust's order (recorded from
// Locust 2.12.1: init, test_start, spawning_complete, test_stopping,
// test_stop, quitting, the users' on_start and on_stop in between).
func TestEventOrderHeadless(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		test := callerTest(time.Second, nil, nil)
		l := recordEvents(test)
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "2", "-r", "100", "-t", "2s", "-s", "1s"}})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("Execute = %+v, %v", res, err)
		}
		checkOrder(t, herd.Standalone, l.list(), 2)
	})
}

// A master and its worker fire their events in Locust's order (Locust
// 2.12.1's worker, recorded under a herd master, fires the same sequence
// as one process; its master's comes from its source: spawning_complete
// once every worker reported its share). The runner handle: a master
// lists its workers and their users; a worker sees its own part, cannot
// set its users, and its result is its own statistics.
func TestEventOrderMasterWorker(t *testing.T) {
	t.Parallel()
	masterTest, workerTest := callerTest(time.Second, nil, nil), callerTest(time.Second, nil, nil)
	masterLog, workerLog := recordEvents(masterTest), recordEvents(workerTest)
	var atMaster, atWorker []any
	masterTest.Events.OnTestStopping(func(ctx context.Context) {
		n := herd.NodeFrom(ctx)
		ws := n.Workers()
		atMaster = []any{n.State(), n.Users(), len(ws)}
		if len(ws) == 1 {
			atMaster = append(atMaster, ws[0].Index, ws[0].Users, ws[0].State)
		}
		// Data msgpack cannot carry is an error, not a message lost.
		atMaster = append(atMaster, n.SendToWorkers("x", []map[string]any{{"a": 1}}) != nil)
	})
	// A worker keeps statistics of its own once asked: here from the start.
	workerTest.Events.OnInit(func(ctx context.Context, _ *herd.RunInfo) error { herd.NodeFrom(ctx).Stats(); return nil })
	workerTest.Events.OnTestStopping(func(ctx context.Context) {
		n := herd.NodeFrom(ctx)
		atWorker = []any{n.State(), n.TargetUsers(), n.SetUsers(5, 1) != nil, n.Workers() == nil}
	})
	masterErr := new(syncBuffer)
	type result struct {
		res herd.Result
		err error
	}
	masterDone := make(chan result, 1)
	go func() {
		res, err := masterTest.Execute(context.Background(), herd.Env{Stderr: masterErr, Args: []string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "1",
			"--headless", "-u", "2", "-r", "100", "-t", "3s", "-s", "2s", "--only-summary"}})
		masterDone <- result{res, err}
	}()
	var port string
	poll(t, "the master's port", func() bool {
		if m := masterPort.FindStringSubmatch(masterErr.String()); m != nil {
			port = m[1]
		}
		return port != ""
	})
	worker, err := workerTest.Execute(context.Background(), herd.Env{Stderr: new(syncBuffer), Args: []string{
		"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
	if err != nil || worker.ExitCode != 0 {
		t.Fatalf("worker: %+v, %v", worker, err)
	}
	var master result
	select {
	case master = <-masterDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("the master did not end:\n%s", masterErr)
	}
	if master.err != nil || master.res.ExitCode != 0 {
		t.Fatalf("master: %+v, %v\n%s", master.res, master.err, masterErr)
	}
	checkOrder(t, herd.Master, masterLog.list(), 0)
	checkOrder(t, herd.Worker, workerLog.list(), 2)
	if want := []any{herd.StateStopping, 2, 1, 0, 2, "running", true}; !slices.Equal(atMaster, want) {
		t.Errorf("the master's handle at the stop: %v, want %v", atMaster, want)
	}
	if want := []any{herd.StateStopping, 2, true, true}; !slices.Equal(atWorker, want) {
		t.Errorf("the worker's handle at the stop: %v, want %v", atWorker, want)
	}
	if worker.Reason != "the master stopped the test" || master.res.Reason != "run time limit reached" {
		t.Errorf("reasons: worker %q, master %q", worker.Reason, master.res.Reason)
	}
	if w, m := worker.Stats.Total.Requests, master.res.Stats.Total.Requests; w == 0 || w != m {
		t.Errorf("the worker's own statistics have %d requests, the master's %d", w, m)
	}
}

// With the web UI: code starts a test (Locust's runner.start), the UI's
// reset runs OnResetStats before it resets, and a stop from code stops the
// test while the UI stays.
func TestHandleWithTheWebUI(t *testing.T) {
	t.Parallel()
	test := callerTest(300*time.Millisecond, nil, nil)
	var node atomic.Pointer[herd.Node]
	test.Events.OnInit(func(ctx context.Context, _ *herd.RunInfo) error {
		node.Store(herd.NodeFrom(ctx))
		return nil
	})
	var resets atomic.Int32
	var before atomic.Uint64
	test.Events.OnResetStats(func(ctx context.Context) {
		resets.Add(1)
		before.Store(herd.NodeFrom(ctx).Stats().Total.Requests)
	})
	url, stop, stderr := startUI(t, test)
	n := node.Load()
	if s := n.State(); s != herd.StateIdle {
		t.Fatalf("state %s before any test", s)
	}
	if err := n.SetUsers(2, 100); err != nil {
		t.Fatal(err)
	}
	poll(t, "requests of the test started from code", func() bool {
		return n.State() == herd.StateRunning && n.Stats().Total.Requests > 0
	})
	resp, err := http.Get(url + "stats/reset")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resets.Load() != 1 || before.Load() == 0 {
		t.Errorf("OnResetStats ran %d times, saw %d requests", resets.Load(), before.Load())
	}
	n.StopTest(nil)
	poll(t, "the stop from code", func() bool { return n.State() == herd.StateStopped })
	if code := stop(); code != herd.ExitOK {
		t.Errorf("exit code %d\n%s", code, stderr)
	}
}
