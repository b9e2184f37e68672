// Command stop_on_threshold is Locust's stop_on_threshold.py in herd: a
// watcher reads the live statistics once a second and stops the test when
// more than 20% of the requests failed. Without -H it tests herd's
// built-in demo shop (where /error is a 404):
//
//	go run ./examples/locust/stop_on_threshold --headless -u 5 -r 5
//
// (herd's thresholds do this without code: --threshold 'fail_ratio<20%;abort',
// or Test.Thresholds.)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// MyUser gets "/" ten times, a pause apart, then "/error" five times.
type MyUser struct {
	herd.HTTPUser
	pause time.Duration
}

func (u *MyUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "my_task", Run: func(ctx context.Context) error {
		for range 10 {
			u.Client.Get(ctx, "/")
			if err := sleep(ctx, u.pause); err != nil {
				return err
			}
		}
		for range 5 {
			u.Client.Get(ctx, "/error")
			if err := sleep(ctx, u.pause); err != nil {
				return err
			}
		}
		return nil
	}}}
}

// sleep pauses for d unless the user is stopped first.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// checker stops the test once the fail ratio passes 20%, reading the
// statistics every second until done is closed (the test stops).
func checker(node *herd.Node, out io.Writer, done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if r := node.Stats().Total.FailRatio(); r > 0.2 {
			fmt.Fprintf(out, "fail ratio was %.2f, quitting\n", r)
			node.StopTest(fmt.Errorf("fail ratio %.2f above 0.2", r))
			return
		}
	}
}

// newTest is the test, its users pausing pause between requests; the
// checker writes to out.
func newTest(pause time.Duration, out io.Writer) *herd.Test {
	test := &herd.Test{
		Users: []*herd.UserType{{
			Name: "MyUser",
			New:  func() herd.User { return &MyUser{pause: pause} },
		}},
		FallbackHost: demo.FallbackHost,
	}
	// The checker runs with each test (not on workers: their statistics
	// are their own), is told when the test stops, and is waited for.
	var wg sync.WaitGroup
	var stopping chan struct{}
	test.Events.OnTestStart(func(ctx context.Context) error {
		node, done := herd.NodeFrom(ctx), make(chan struct{})
		stopping = done
		if node.Role() != herd.Worker {
			wg.Go(func() { checker(node, out, done) })
		}
		return nil
	})
	test.Events.OnTestStopping(func(context.Context) { close(stopping) })
	test.Events.OnTestStop(func(context.Context) { wg.Wait() })
	return test
}

func main() { herd.Main(newTest(time.Second, os.Stdout)) }
