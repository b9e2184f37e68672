package main

import (
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	test := newTest(5 * time.Millisecond)
	test.Users[0].Wait = herd.Constant(5 * time.Millisecond)
	// Until every task ran, decorator_test twenty times (it fails half of
	// them at random); -t is the backstop.
	res := porttest.RunUntil(t, test, map[string]int{"manual successful_task": 1, "manual failing_task": 1, "manual decorator_test": 20},
		"-u", "4", "-r", "100", "-t", "30s", "-s", "30s")
	r := &res.Report
	if got, want := r.Names(), []string{"manual decorator_test", "manual failing_task", "manual successful_task"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	if e := r.Entry("manual", "successful_task"); e.Requests == 0 || e.Failures != 0 {
		t.Errorf("successful_task: %+v", e)
	}
	if e := r.Entry("manual", "failing_task"); e.Requests == 0 || e.Failures != e.Requests ||
		r.FailureCount("manual", "failing_task", "Oh nooes!") != e.Requests {
		t.Errorf("failing_task: %+v, failures %+v", e, r.Failures)
	}
	if e := r.Entry("manual", "decorator_test"); e.Failures == 0 || e.Failures == e.Requests ||
		r.FailureCount("manual", "decorator_test", "decorator_task failed") != e.Failures {
		t.Errorf("decorator_test: %+v, want some failures (half, about)", e)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors %+v: the failures are counted once, as failures", r.Errors)
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest(time.Second)), porttest.LocustTaskRatio(t, "manual_stats_reporting.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
