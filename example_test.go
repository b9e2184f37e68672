package herd_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/herdload/herd"
)

// Any client records its own timings with herd.Time (or herd.Record), so
// gRPC, Redis, SQL or WebSocket calls get the same statistics as HTTP.
func ExampleTime() {
	cacheGet := func(ctx context.Context, key string) (string, error) { return "value", nil }

	task := herd.Task{Name: "cache get", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "redis", "GET user:{id}", func(ctx context.Context) (int64, error) {
			v, err := cacheGet(ctx, "user:42")
			return int64(len(v)), err
		})
	}}
	fmt.Println(task.Name)
	// Output: cache get
}

// Record takes a timing measured elsewhere, for clients that report their
// own durations.
func ExampleRecord() {
	run := func(ctx context.Context) error {
		start := time.Now()
		// … send a message, wait for its echo …
		herd.Record(ctx, herd.Request{Kind: "ws", Name: "echo", Start: start, Duration: time.Since(start), Size: 128})
		return nil
	}
	_ = herd.Task{Name: "echo", Run: run}
}

// Listeners see the run's life cycle; a quitting listener can fail a CI job
// on a condition of its own.
func ExampleEvents() {
	t := &herd.Test{Users: []*herd.UserType{{Name: "Idle", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error { return herd.ErrStopTest }}}
		})
	}}}}
	t.Events.OnQuitting(func(q *herd.Quit) {
		if q.Stats.Total.FailRatio() > 0.01 || q.Stats.Total.Percentile(0.95) > 800*time.Millisecond {
			q.ExitCode = 1
		}
		fmt.Println("exit code", q.ExitCode)
	})
	t.Run(context.Background(), herd.Env{Args: []string{"--headless", "--only-summary"}, Stderr: os.Stderr})
	// Output: exit code 0
}

// ConstantPacing starts a task at most once per interval: the pause is the
// interval minus the task's own run time.
func ExampleConstantPacing() {
	wait := herd.ConstantPacing(time.Second)
	fmt.Println(wait(300 * time.Millisecond))
	fmt.Println(wait(1500 * time.Millisecond))
	// Output:
	// 700ms
	// 0s
}

// Workers and their master exchange custom messages: here each worker
// tells the master when it starts, and the master answers only that one.
func ExampleNode_SendToMaster() {
	t := &herd.Test{}
	t.Events.OnTestStart(func(ctx context.Context) error {
		if n := herd.NodeFrom(ctx); n.Role() == herd.Worker {
			return n.SendToMaster("started", map[string]any{"index": n.WorkerIndex()})
		}
		return nil
	})
	t.Events.OnMessage("started", func(ctx context.Context, m herd.Message) {
		_ = herd.NodeFrom(ctx).SendToWorkers("welcome", "hello", m.From)
	})
	t.Events.OnMessage("welcome", func(ctx context.Context, m herd.Message) {
		fmt.Println(m.Data)
	})
}

// A Go load shape: ramp by 20 users a minute for ten minutes, then end the
// test. Built-in shapes need no code: --shape stages:1m:20,1m:40,...
func ExampleShapeFunc() {
	shape := herd.ShapeFunc(func(elapsed time.Duration) (herd.ShapeTick, bool) {
		if elapsed >= 10*time.Minute {
			return herd.ShapeTick{}, false
		}
		return herd.ShapeTick{Users: 20 * (1 + int(elapsed/time.Minute)), SpawnRate: 5}, true
	})
	tick, _ := shape.Tick(&herd.ShapeState{Elapsed: 90 * time.Second})
	fmt.Println(tick.Users)
	// Output: 40
}
