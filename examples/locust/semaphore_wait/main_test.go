package main

import (
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// TestRun: no user asks for / before the last user started and its own
// wait passed.
func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	const wait = 300 * time.Millisecond
	test.Users[0].Wait = herd.Constant(wait) // Locust's 2–5 s, shortened
	var mu sync.Mutex
	var spawned, first time.Time
	test.Events.OnSpawningComplete(func(int) {
		mu.Lock()
		spawned = time.Now()
		mu.Unlock()
	})
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		if first.IsZero() || r.Start.Before(first) {
			first = r.Start
		}
		mu.Unlock()
	})
	// 5 users at 10/s: the last starts 0.4 s in.
	res := porttest.Run(t, test, "-u", "5", "-r", "10", "-t", "1500ms", "-s", "30s", "-H", target.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if spawned.IsZero() || first.IsZero() {
		t.Fatalf("spawning completed at %v, first request at %v", spawned, first)
	}
	// The users wait for the signal, then their wait time: the first
	// request comes after this listener (which runs just after the signal).
	if !first.After(spawned) {
		t.Errorf("the first request came %v before the spawning completed", spawned.Sub(first))
	}
	if n := res.Report.Entry("GET", "/").Requests; n < 5 {
		t.Errorf("%d requests of /, want one per user at least", n)
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "semaphore_wait.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
