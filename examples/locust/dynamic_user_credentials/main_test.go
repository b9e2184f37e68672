package main

import (
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// TestRun: of 5 users, 3 log in and get the resource; the other 2 are
// refused it, as in Locust.
func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(time.Hour) // one task each: Locust's 5–60 s are longer than the run
	res := porttest.Run(t, test, "-u", "5", "-r", "100", "-t", "500ms", "-s", "30s", "-H", target.URL)
	r := &res.Report
	if e := r.Entry("POST", "/login"); e.Requests != 3 || e.Failures != 0 {
		t.Errorf("logins: %+v, want 3 without failures", e)
	}
	if e := r.Entry("GET", "/protected/resource"); e.Requests != 5 || e.Failures != 2 {
		t.Errorf("the resource: %+v, want 5 requests, 2 failures", e)
	}
	if n := r.FailureCount("GET", "/protected/resource", "HTTP 401 Unauthorized"); n != 2 {
		t.Errorf("%d failures HTTP 401", n)
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "dynamic_user_credentials.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
