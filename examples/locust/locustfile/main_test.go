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
	if got, want := porttest.TaskRatio(t, newTest(time.Second)), porttest.LocustTaskRatio(t, "locustfile.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest(time.Millisecond)
	test.Users[0].Wait = herd.Constant(5 * time.Millisecond)
	// --stop-timeout lets the tasks in flight at the end finish, as with
	// Locust's -s: so every view_item asks for ten items. The run stops once
	// both tasks ran (they are picked at random); -t is the backstop.
	res := porttest.RunUntil(t, test, map[string]int{"POST /login": 4, "GET /hello": 1, "GET /item": 10},
		"-u", "4", "-r", "100", "-t", "30s", "-s", "30s", "-H", target.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	if got, want := res.Report.Names(), []string{"GET /hello", "GET /item", "POST /login", "GET /world"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	r := &res.Report
	if n := r.Entry("POST", "/login").Requests; n != 4 {
		t.Errorf("%d logins, want one per user (4)", n)
	}
	if hello, world := r.Entry("GET", "/hello").Requests, r.Entry("GET", "/world").Requests; hello != world || hello == 0 {
		t.Errorf("/hello %d, /world %d: want the same, not 0", hello, world)
	}
	if items := r.Entry("GET", "/item").Requests; items == 0 || items%10 != 0 {
		t.Errorf("%d /item requests, want a multiple of 10", items)
	}
	if target.Count("GET", "/item") != r.Entry("GET", "/item").Requests {
		t.Errorf("the target saw %d /item requests, the report %d", target.Count("GET", "/item"), r.Entry("GET", "/item").Requests)
	}
}
