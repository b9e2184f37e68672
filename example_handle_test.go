package herd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/herdload/herd"
)

// call is a custom client's request: it records one "rpc call" that
// fails with err.
func call(ctx context.Context, err error) {
	herd.Record(ctx, herd.Request{Kind: "rpc", Name: "call", Duration: time.Millisecond, Err: err})
}

// oneTask is a test of one user type running task.
func oneTask(task func(ctx context.Context) error) *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{Name: "Caller", Wait: herd.Constant(10 * time.Millisecond),
		New: func() herd.User {
			return herd.TaskList(func() []herd.Task { return []herd.Task{{Name: "call", Run: task}} })
		}}}}
}

// A task stops the whole test with a reason: the run fails with it.
func ExampleNode_StopTest() {
	test := oneTask(func(ctx context.Context) error {
		call(ctx, nil)
		herd.NodeFrom(ctx).StopTest(errors.New("the test data ran out"))
		return nil
	})
	res, _ := test.Execute(context.Background(), herd.Env{Args: []string{"--headless"}})
	fmt.Println(res.ExitCode, res.Reason)
	// Output: 1 stopped from code: the test data ran out
}

// Locust's stop_on_threshold.py: a goroutine started with the test reads
// the live statistics once a second and stops the test when more than a
// fifth of the requests failed; it ends when the test stops.
func ExampleNode_Stats() {
	test := oneTask(func(ctx context.Context) error { call(ctx, nil); return nil })
	var checker sync.WaitGroup
	var stopping chan struct{}
	test.Events.OnTestStart(func(ctx context.Context) error {
		node, done := herd.NodeFrom(ctx), make(chan struct{})
		stopping = done
		if node.Role() == herd.Worker {
			return nil // the master watches the merged statistics
		}
		checker.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if r := node.Stats().Total.FailRatio(); r > 0.2 {
					node.StopTest(fmt.Errorf("fail ratio %.2f above 0.2", r))
					return
				}
			}
		})
		return nil
	})
	test.Events.OnTestStopping(func(context.Context) { close(stopping) })
	test.Events.OnTestStop(func(context.Context) { checker.Wait() })
	herd.Main(test)
}

// A test changes its own user count: once its first user runs, a task
// asks for three users, started at once; a task stops the test once the
// three run.
func ExampleNode_SetUsers() {
	var once sync.Once
	test := oneTask(func(ctx context.Context) error {
		node := herd.NodeFrom(ctx)
		switch {
		case node.State() != herd.StateRunning:
			return nil // still spawning: OnSpawningComplete has not run yet
		case node.Users() == 1:
			var err error
			once.Do(func() { err = node.SetUsers(3, 0) })
			return err
		case node.Users() == 3:
			return herd.ErrStopTest
		}
		return nil
	})
	test.Events.OnSpawningComplete(func(users int) { fmt.Println("users:", users) })
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-u", "1"}})
	// Output:
	// users: 1
	// users: 3
}

// Locust's custom_messages.py: when a test starts, the master splits its
// test users between its workers, each worker gets its own share.
func ExampleNode_Workers() {
	test := oneTask(func(ctx context.Context) error { call(ctx, nil); return nil })
	test.Events.OnTestStart(func(ctx context.Context) error {
		node := herd.NodeFrom(ctx)
		if node.Role() != herd.Master {
			return nil
		}
		workers := node.Workers()
		names := make([]string, node.TargetUsers())
		for i := range names {
			names[i] = fmt.Sprintf("user%d", i)
		}
		for i, w := range workers {
			share := names[i*len(names)/len(workers) : (i+1)*len(names)/len(workers)]
			if err := node.SendToWorkers("test_users", share, w.ID); err != nil {
				return err
			}
		}
		return nil
	})
	herd.Main(test)
}

// The events around a test's stop, in Locust's order: OnTestStopping
// before the users stop (their OnStop runs), OnTestStop after.
func ExampleEvents_OnTestStopping() {
	test := &herd.Test{Users: []*herd.UserType{{Name: "Visitor", New: func() herd.User { return visitor{} }}}}
	test.Events.OnTestStart(func(context.Context) error { fmt.Println("test start"); return nil })
	test.Events.OnTestStopping(func(context.Context) { fmt.Println("test stopping") })
	test.Events.OnTestStop(func(context.Context) { fmt.Println("test stop") })
	test.Run(context.Background(), herd.Env{Args: []string{"--headless"}})
	// Output:
	// test start
	// user start
	// test stopping
	// user stop
	// test stop
}

type visitor struct{}

func (visitor) OnStart(context.Context) error { fmt.Println("user start"); return nil }
func (visitor) OnStop(context.Context) error  { fmt.Println("user stop"); return nil }
func (visitor) Tasks() []herd.Task {
	return []herd.Task{{Name: "leave", Run: func(ctx context.Context) error {
		herd.NodeFrom(ctx).StopTest(nil)
		return nil
	}}}
}

// When herd itself runs out of CPU, its response times are suspect: this
// test sheds a tenth of its users each time it is warned.
func ExampleEvents_OnCPUWarning() {
	test := oneTask(func(ctx context.Context) error { call(ctx, nil); return nil })
	test.Events.OnCPUWarning(func(ctx context.Context, percent float64) {
		node := herd.NodeFrom(ctx)
		if node.Role() != herd.Worker {
			_ = node.SetUsers(node.TargetUsers()*9/10, 0)
		}
	})
	herd.Main(test)
}

// A counter of the test's own is reset with the web UI's statistics.
func ExampleEvents_OnResetStats() {
	var mu sync.Mutex
	bytes := 0
	test := oneTask(func(ctx context.Context) error { call(ctx, nil); return nil })
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		bytes += int(r.Size)
		mu.Unlock()
	})
	test.Events.OnResetStats(func(context.Context) {
		mu.Lock()
		bytes = 0
		mu.Unlock()
	})
	herd.Main(test)
}

// holdShape is Locust's custom_shape/wait_user_count.py: each step's user
// count is held for its dwell time from when it is reached, however long
// the ramp took.
type holdShape struct {
	steps   []holdStep
	step    int
	holding bool
}

type holdStep struct {
	users int
	dwell time.Duration
}

func (s *holdShape) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	if s.step >= len(s.steps) {
		return herd.ShapeTick{}, false
	}
	target := s.steps[s.step]
	if st.Users == target.users {
		if !s.holding {
			st.ResetTime() // the dwell counts from now
			s.holding = true
		}
		if st.Elapsed > target.dwell {
			s.step++
			s.holding = false
		}
	}
	return herd.ShapeTick{Users: target.users, SpawnRate: 100}, true
}

// A shape that waits for its users: told the users running and the time,
// it resets its time once its step's count is reached.
func ExampleShapeState_ResetTime() {
	shape := &holdShape{steps: []holdStep{{users: 10, dwell: 10 * time.Second}}}
	for _, now := range []herd.ShapeState{
		{Elapsed: 5 * time.Second, Users: 4},   // still ramping
		{Elapsed: 9 * time.Second, Users: 10},  // reached: the dwell starts
		{Elapsed: 11 * time.Second, Users: 10}, // 11 s since the reset
		{Elapsed: 12 * time.Second, Users: 10},
	} {
		tick, ok := shape.Tick(&now)
		fmt.Println(tick.Users, ok, now.Elapsed)
	}
	// Output:
	// 10 true 5s
	// 10 true 0s
	// 10 true 11s
	// 0 false 12s
}

// A program runs a test as a library (Locust's use_as_lib.py) and reads
// how it went.
func ExampleTest_Execute() {
	test := oneTask(func(ctx context.Context) error {
		call(ctx, nil)
		call(ctx, errors.New("timeout"))
		return herd.ErrStopTest
	})
	res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "1"}, Stdout: io.Discard})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("exit code %d: %s; %d requests, %.0f%% failed\n", res.ExitCode, res.Reason,
		res.Stats.Total.Requests, res.Stats.Total.FailRatio()*100)
	// Output: exit code 1: a task stopped the test; 2 requests, 50% failed
}

// A test sets its own pass/fail conditions; --threshold and
// HERD_THRESHOLD replace them.
func ExampleTest_thresholds() {
	test := oneTask(func(ctx context.Context) error {
		call(ctx, nil)
		return herd.ErrStopTest
	})
	test.Thresholds = []string{"p95<500ms", "requests>100"}
	code, _ := test.Run(context.Background(), herd.Env{Args: []string{"--headless"}})
	fmt.Println("exit code", code)
	// Output: exit code 4
}

// The users running of each type, here when the test begins to stop: the
// three users are split by weight.
func ExampleNode_UsersByType() {
	task := func(ctx context.Context) error {
		if node := herd.NodeFrom(ctx); node.Users() == 3 {
			node.StopTest(nil)
		}
		return nil
	}
	user := func(name string, weight int) *herd.UserType {
		return &herd.UserType{Name: name, Weight: weight, Wait: herd.Constant(10 * time.Millisecond), New: func() herd.User {
			return herd.TaskList(func() []herd.Task { return []herd.Task{{Name: "look", Run: task}} })
		}}
	}
	test := &herd.Test{Users: []*herd.UserType{user("Reader", 2), user("Writer", 1)}}
	test.Events.OnTestStopping(func(ctx context.Context) { fmt.Println(herd.NodeFrom(ctx).UsersByType()) })
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-u", "3", "-r", "100"}})
	// Output: map[Reader:2 Writer:1]
}
