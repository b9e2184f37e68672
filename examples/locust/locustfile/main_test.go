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
	// Locust's -s: so every view_item asks for ten items.
	res := porttest.Run(t, test, "-u", "4", "-r", "100", "-t", "1s", "-s", "30s", "-H", target.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	// Users pick their tasks at random: a starved machine runs only a few
	// in the second, so either task may be missing, never both.
	all := []string{"GET /hello", "GET /item", "POST /login", "GET /world"}
	for _, name := range res.Report.Names() {
		if !slices.Contains(all, name) {
			t.Errorf("unexpected name %q, want only %v", name, all)
		}
	}
	r := &res.Report
	if n := r.Entry("POST", "/login").Requests; n != 4 {
		t.Errorf("%d logins, want one per user (4)", n)
	}
	hello, world := r.Entry("GET", "/hello").Requests, r.Entry("GET", "/world").Requests
	if hello != world {
		t.Errorf("/hello %d, /world %d: want the same", hello, world)
	}
	items := r.Entry("GET", "/item").Requests
	if items%10 != 0 {
		t.Errorf("%d /item requests, want a multiple of 10", items)
	}
	if hello+items == 0 {
		t.Error("no task ran")
	}
	if target.Count("GET", "/item") != r.Entry("GET", "/item").Requests {
		t.Errorf("the target saw %d /item requests, the report %d", target.Count("GET", "/item"), r.Entry("GET", "/item").Requests)
	}
}
