package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// target answers "/" and fails "/error", as the Internet does.
func target(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/error" {
			http.Error(w, "no", http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Against a local target (pauses of 20 ms instead of a second): the
// checker sees the fail ratio pass 20% and stops the test from code, which
// fails the run; Locust's statistics names.
func TestStopsOnFailRatio(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	test := newTest(20*time.Millisecond, &out)
	res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "5", "-r", "5", "-t", "30s", "-H", target(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != herd.ExitFailures || !strings.HasPrefix(res.Reason, "stopped from code: fail ratio 0.") {
		t.Errorf("Result %d %q, want exit 1, stopped from code", res.ExitCode, res.Reason)
	}
	if r := res.Stats.Total.FailRatio(); r <= 0.2 {
		t.Errorf("stopped at a fail ratio of %.2f", r)
	}
	if !strings.HasPrefix(out.String(), "fail ratio was 0.") || !strings.HasSuffix(out.String(), ", quitting\n") {
		t.Errorf("printed %q", out.String())
	}
	var names []string
	for _, e := range res.Stats.Entries {
		names = append(names, e.Method+" "+e.Name)
	}
	if strings.Join(names, ",") != "GET /,GET /error" {
		t.Errorf("names %v", names)
	}
}
