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
	web, api := porttest.NewTarget(t), porttest.NewTarget(t)
	test := newTest(api.URL)
	test.Users[0].Wait = herd.Constant(10 * time.Millisecond)
	// Until both tasks ran (they are picked at random); -t is the backstop.
	res := porttest.RunUntil(t, test, map[string]int{"GET /": 1, "GET /stats/requests": 1},
		"-u", "3", "-r", "100", "-t", "30s", "-s", "30s", "-H", web.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	if got, want := res.Report.Names(), []string{"GET /", "GET /stats/requests"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	r := &res.Report
	if n := r.Entry("GET", "/").Requests; n == 0 || n != web.Count("GET", "/") || api.Count("GET", "/") != 0 {
		t.Errorf("GET /: %d recorded, %d on the web host, %d on the API's", n, web.Count("GET", "/"), api.Count("GET", "/"))
	}
	if n := r.Entry("GET", "/stats/requests").Requests; n == 0 || n != api.Count("GET", "/stats/requests") || web.Count("GET", "/stats/requests") != 0 {
		t.Errorf("GET /stats/requests: %d recorded, %d on the API host, %d on the web's", n, api.Count("GET", "/stats/requests"), web.Count("GET", "/stats/requests"))
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest("http://api")), porttest.LocustTaskRatio(t, "multiple_hosts.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
