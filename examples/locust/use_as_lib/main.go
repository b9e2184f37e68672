// Command use_as_lib is Locust's use_as_lib.py in herd: a program of its
// own runs a test as a library, with the web UI, prints the live
// statistics as it runs, stops it after a minute and reads the result,
// without herd deciding when the process exits. Without -H it tests herd's
// built-in demo shop:
//
//	go run ./examples/locust/use_as_lib
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// User gets the home page and a page that does not exist.
type User struct{ herd.HTTPUser }

func (u *User) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "my_task", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }},
		{Name: "task_404", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/non-existing-path").Err() }},
	}
}

// options are the run's, set in code: one user spawned at 10/s, the web UI
// on 127.0.0.1:8089 started at once, the test stopped after 60 s and the
// program going on right after (Locust's example calls runner.quit()).
var options = []string{"-u", "1", "-r", "10", "-t", "60s", "--autostart", "--autoquit", "0",
	"--web-host", "127.0.0.1", "-P", "8089"}

// run runs the test with options (and any more, e.g. -H), printing the
// statistics to stdout every second while it runs, and returns its result.
func run(ctx context.Context, stdout, stderr io.Writer, more ...string) (herd.Result, error) {
	test := &herd.Test{
		Users: []*herd.UserType{{Name: "User", New: func() herd.User { return new(User) },
			Wait: herd.Between(time.Second, 3*time.Second)}},
		FallbackHost: demo.FallbackHost,
	}
	// Locust's stats_printer greenlet: a goroutine of the program's own,
	// started with the test, told to end when it stops, and joined.
	var printer sync.WaitGroup
	var stopping chan struct{}
	test.Events.OnTestStart(func(ctx context.Context) error {
		node, done := herd.NodeFrom(ctx), make(chan struct{})
		stopping = done
		printer.Go(func() { printStats(node, stdout, done) })
		return nil
	})
	test.Events.OnTestStopping(func(context.Context) { close(stopping) })
	test.Events.OnTestStop(func(context.Context) { printer.Wait() })
	return test.Execute(ctx, herd.Env{Prog: "use_as_lib", Args: slices.Concat(options, more), Stdout: stdout, Stderr: stderr})
}

// printStats prints a line a second until done is closed.
func printStats(node *herd.Node, out io.Writer, done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		t := node.Stats().Total
		fmt.Fprintf(out, "%s: %d users, %d requests, %d failures, %.1f req/s\n", node.State(), node.Users(),
			t.Requests, t.Failures, t.CurrentRPS)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	res, err := run(ctx, os.Stdout, os.Stderr, os.Args[1:]...)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if res.Stats != nil {
		fmt.Printf("%s: %d requests, %.0f%% failed, 95%% under %v; exit code %d\n", res.Reason,
			res.Stats.Total.Requests, 100*res.Stats.Total.FailRatio(), res.Stats.Total.Percentile(0.95), res.ExitCode)
	}
	os.Exit(res.ExitCode)
}
