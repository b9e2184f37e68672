// Command manual_stats_reporting is Locust's manual_stats_reporting.py in
// herd: code that is not a request, timed and added to the statistics
// under a name of its own (kind "manual"), as a block inside a task or as
// a whole task; an error fails the entry.
//
//	go run ./examples/locust/manual_stats_reporting --headless -u 5 -t 1m
package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd"
)

// manualReport times fn and records it as a "manual" entry named name,
// failed when fn returns an error. The error is returned as a
// *herd.RequestError, which a task returns without it being counted twice.
// (Locust's manual_report context manager.)
func manualReport(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return herd.Time(ctx, "manual", name, func(ctx context.Context) (int64, error) {
		return 0, fn(ctx)
	})
}

// reported is manualReport around a whole task (Locust's @manual_report
// decorator), under the task's name.
func reported(name string, fn func(ctx context.Context) error) herd.Task {
	return herd.Task{Name: name, Run: func(ctx context.Context) error { return manualReport(ctx, name, fn) }}
}

type MyUser struct {
	maxPause time.Duration // Python's sleep(random.random()): up to 1 s
}

// pause sleeps a random time up to maxPause.
func (u *MyUser) pause(ctx context.Context) error {
	return herd.Sleep(ctx, time.Duration(rand.Int64N(int64(u.maxPause))))
}

func (u *MyUser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "successful_task", Run: func(ctx context.Context) error {
			return manualReport(ctx, "successful_task", u.pause)
		}},
		reported("decorator_test", func(ctx context.Context) error {
			if rand.Float64() > 0.5 {
				return errors.New("decorator_task failed")
			}
			return u.pause(ctx)
		}),
		{Name: "failing_task", Run: func(ctx context.Context) error {
			return manualReport(ctx, "failing_task", func(ctx context.Context) error {
				if err := u.pause(ctx); err != nil {
					return err
				}
				return errors.New("Oh nooes!")
			})
		}},
	}
}

// newTest is the test, its users pausing up to maxPause in their tasks.
func newTest(maxPause time.Duration) *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "MyUser",
		Wait: herd.Constant(time.Second),
		New:  func() herd.User { return &MyUser{maxPause: maxPause} },
	}}}
}

func main() { herd.Main(newTest(time.Second)) }
