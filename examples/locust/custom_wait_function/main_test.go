package main

import (
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "custom_wait_function.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

func TestWaitFunctions(t *testing.T) {
	t.Parallel()
	const n = 100_000
	var sum time.Duration
	for range n {
		d := expovariate(1)
		if d < 0 {
			t.Fatalf("expovariate gave %v", d)
		}
		sum += d
	}
	// The mean of 100,000 samples strays 5% from 1 s with a chance below 10^-50.
	if mean := sum / n; mean < 950*time.Millisecond || mean > 1050*time.Millisecond {
		t.Errorf("expovariate(1): mean %v, want about 1s", mean)
	}
	for range n {
		if d := strictExp(3*time.Second, 7*time.Second, 1); d < 3*time.Second || d >= 7*time.Second {
			t.Fatalf("strictExp(3s, 7s) gave %v", d)
		}
	}
}

// TestRun: each type waits its own method's time. In one second a strict
// user runs its first task only (it then waits 3 s at least); the others
// run one about every second.
func TestRun(t *testing.T) {
	t.Parallel()
	loose, strict := porttest.NewTarget(t), porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Host, test.Users[1].Host = loose.URL, strict.URL
	res := porttest.Run(t, test, "-u", "20", "-r", "1000", "-t", "1500ms", "-s", "30s")
	names := []string{"GET /", "GET /does_not_exist", "GET /stats/requests"}
	for _, n := range res.Report.Names() {
		if !slices.Contains(names, n) {
			t.Errorf("unexpected name %s", n)
		}
	}
	count := func(tg *porttest.Target) int {
		return tg.Count("GET", "/") + tg.Count("GET", "/stats/requests") + tg.Count("GET", "/does_not_exist")
	}
	if n := count(strict); n != 10 {
		t.Errorf("the strict users sent %d requests in 1.5 s, want 10 (one each)", n)
	}
	// 10 users, about 2.5 tasks each in 1.5 s; far fewer than without waits.
	if n := count(loose); n < 10 || n > 100 {
		t.Errorf("the exponential users sent %d requests in 1.5 s, want about 25", n)
	}
}
