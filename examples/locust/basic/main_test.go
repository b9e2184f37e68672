package main

import (
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "basic.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(10 * time.Millisecond) // Locust's 2–5 s, shortened for the test
	// Until every task ran (they are picked at random); -t is the backstop.
	res := porttest.RunUntil(t, test, map[string]int{"GET /": 1, "GET /does_not_exist": 1, "GET /stats/requests": 1},
		"-u", "3", "-r", "100", "-t", "30s", "-s", "30s", "-H", target.URL)
	if res.Code != herd.ExitFailures {
		t.Errorf("exit code %d, want %d (the 404s)", res.Code, herd.ExitFailures)
	}
	// Locust's statistics names, sorted by name.
	if got, want := res.Report.Names(), []string{"GET /", "GET /does_not_exist", "GET /stats/requests"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	for _, e := range res.Report.Stats {
		if e.Requests == 0 || e.Requests != target.Count(e.Method, e.Name) {
			t.Errorf("%s %s: %d requests, the target saw %d", e.Method, e.Name, e.Requests, target.Count(e.Method, e.Name))
		}
		wantFailures := 0
		if e.Name == "/does_not_exist" {
			wantFailures = e.Requests
		}
		if e.Failures != wantFailures {
			t.Errorf("%s %s: %d failures, want %d", e.Method, e.Name, e.Failures, wantFailures)
		}
	}
	if n := res.Report.FailureCount("GET", "/does_not_exist", "HTTP 404 Not Found"); n != res.Report.Entry("GET", "/does_not_exist").Failures {
		t.Errorf("%d failures read HTTP 404 Not Found", n)
	}
}
