package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// The program runs the test with its web UI (on a free port here) against
// a local target for 3 s, prints the live statistics, and gets the result
// back: Locust's statistics names, the 404s as failures, exit code 1.
func TestRunsAsALibrary(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var out, logs porttest.Buffer
	res, err := run(context.Background(), &out, &logs, "-u", "4", "-t", "3s", "-s", "5s", "-P", "0", "-H", srv.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	want := 0 // the tasks are picked at random: 404s are likely, not sure
	if res.Stats.Total.Failures > 0 {
		want = 1
	}
	if res.Reason != "run time limit reached" || res.ExitCode != want || res.Stats.Duration > 3500*time.Millisecond {
		t.Errorf("Result %d %q after %v, want exit %d at the run time\n%s", res.ExitCode, res.Reason,
			res.Stats.Duration, want, logs.String())
	}
	if n := res.Stats.Total.Requests; n == 0 {
		t.Error("no request")
	}
	for _, e := range res.Stats.Entries {
		if name := e.Method + " " + e.Name; name != "GET /" && name != "GET /non-existing-path" {
			t.Errorf("statistics name %q", name)
		}
		if e.Name == "/non-existing-path" && e.Failures != e.Requests {
			t.Errorf("%d of %d 404s failed", e.Failures, e.Requests)
		}
	}
	if lines := strings.Count(out.String(), " users, "); lines < 2 {
		t.Errorf("the printer wrote %d lines:\n%s", lines, out.String())
	}
}
