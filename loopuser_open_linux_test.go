//go:build linux

package herd_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/runtest"
)

// TestLoopUserOpenModel: under --arrival-rate a LoopUser iteration sends
// its list once, through the runner: the target's counts are the
// report's, each iteration's second request follows its first, and no
// more iterations start than the rate allows in the time the run took.
func TestLoopUserOpenModel(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	count := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[path]
	}

	const rate, users, enough = 50, 5, 40
	test := &herd.Test{Users: []*herd.UserType{{Name: "Loop", New: func() herd.User {
		return &herd.LoopUser{Requests: []herd.LoopRequest{{URL: "/a"}, {URL: "/b"}}}
	}}}}
	var snap *herd.StatsSnapshot
	test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
	// The run stops (gracefully: reports are written) once the target saw
	// enough iterations; -t is only the backstop.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	test.Events.OnRequest(func(r herd.Request) {
		if r.Name == "/b" && count("/b") >= enough {
			stop()
		}
	})
	var out bytes.Buffer
	began := time.Now()
	_, err := test.Run(ctx, herd.Env{Stdout: &out, Stderr: &out, Args: []string{"--headless", "--only-summary",
		"-t", "60s", "-H", srv.URL, "--arrival-rate", "50/s", "-u", "5"}})
	elapsed := time.Since(began)
	if err != nil || snap == nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}

	a, b := runtest.Entry(snap, "GET", "/a"), runtest.Entry(snap, "GET", "/b")
	// A request interrupted at the stop left before it: the target may
	// still be reading it.
	for deadline := time.Now().Add(10 * time.Second); int(a.Requests) != count("/a") || int(b.Requests) != count("/b"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("recorded /a %d, /b %d; the target received %d, %d", a.Requests, b.Requests, count("/a"), count("/b"))
		}
	}
	if b.Requests < enough || a.Requests < b.Requests || a.Requests > b.Requests+users {
		t.Errorf("/a %d, /b %d: want each iteration's /b after its /a, at most %d in flight", a.Requests, b.Requests, users)
	}
	// One pass per iteration: a user that looped on would send thousands.
	if most := int(rate*elapsed.Seconds()) + users + 1; int(a.Requests) > most {
		t.Errorf("%d iterations in %v at %d/s: more than %d", a.Requests, elapsed.Round(time.Millisecond), rate, most)
	}
	for _, name := range []string{"/a", "/b"} {
		for msg, n := range runtest.Failures(snap, "GET", name) {
			if msg != failure.InterruptedMessage {
				t.Errorf("%s: %d failures %q", name, n, msg)
			}
		}
	}
}
