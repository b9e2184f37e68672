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
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(time.Millisecond) // Locust's has none: bounded for the test
	// Until each task ran ten times (they are picked at random); -t is the
	// backstop.
	res := porttest.RunUntil(t, test, map[string]int{"GET /": 10, "GET /stats/requests": 10},
		"-u", "2", "-r", "100", "-t", "30s", "-s", "30s", "-H", target.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	if got, want := res.Report.Names(), []string{"GET /", "GET /stats/requests"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	for _, e := range res.Report.Stats {
		if e.Requests < 10 || e.Requests != target.Count(e.Method, e.Name) {
			t.Errorf("%s %s: %d requests, the target saw %d", e.Method, e.Name, e.Requests, target.Count(e.Method, e.Name))
		}
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "fast_http_locust.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
