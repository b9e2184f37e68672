package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// Each iteration reports one request of 12.5 ms and 10 bytes and one
// failed request; each user's first iteration also raises.
const reportingLocustfile = `from locust import User, task, constant


class Shopper(User):
    wait_time = constant(0.2)

    @task
    def shop(self):
        fire = self.environment.events.request.fire
        fire(request_type="GET", name="/x", response_time=12.5, response_length=10, exception=None, context={})
        fire(request_type="GET", name="/fail", response_time=40, response_length=0, exception=Exception("boom"), context={})
        if not getattr(self, "raised", False):
            self.raised = True
            raise ValueError("oops")
`

// TestLocustWorkersWithHerdMaster runs two stock Debian Locust workers
// (client_ready "") under a herd master: registration, classes learnt
// from their reports, a start of 4 users (2 each), statistics, stop and
// re-registration, quit and a clean exit of both processes.
func TestLocustWorkersWithHerdMaster(t *testing.T) {
	t.Parallel()
	needLocust(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	lf := filepath.Join(dir, "locustfile.py")
	if err := os.WriteFile(lf, []byte(reportingLocustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	logs, logger := newLogs(t)
	sk := newSink()
	m, err := StartMaster(ctx, MasterOptions{Bind: "tcp://127.0.0.1:0", Logger: logger, OnDelta: sk.onDelta})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	port := strconv.Itoa(m.Port())
	var procs []*locustProc
	for range 2 {
		procs = append(procs, startLocust(t, ctx, dir, "-f", lf, "--worker", "--master-host", "127.0.0.1", "--master-port", port))
	}
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	poll(t, "the class learnt from the workers' reports", func() bool {
		cs := m.Classes()
		return len(cs) == 1 && cs[0] == Class{Name: "Shopper", Weight: 1}
	})
	for _, w := range m.Workers() {
		if w.State != wire.StateReady {
			t.Errorf("worker %s is %q before the start", w.ID, w.State)
		}
	}

	done := make(chan int, 1)
	if err := m.Start(4, 100, "http://127.0.0.1:1", 0, func(n int) { done <- n }); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n != 4 {
			t.Errorf("the ramp ended at %d users, want 4", n)
		}
	case <-ctx.Done():
		t.Fatal("the ramp never ended")
	}
	if c := m.CountsByType(); c["Shopper"] != 4 || len(c) != 1 {
		t.Errorf("counts by type %v, want Shopper: 4", c)
	}
	ws := m.Workers()
	if len(ws) != 2 {
		t.Fatalf("workers %+v", ws)
	}
	for i, w := range ws {
		if w.Users != 2 || w.Index != i || w.Version != "" || w.State != wire.StateRunning {
			t.Errorf("worker %+v, want index %d, running 2 users, version \"\" (stock Debian)", w, i)
		}
	}

	// Locust workers report every 3 s.
	poll(t, "statistics from both workers", func() bool {
		sk.mu.Lock()
		defer sk.mu.Unlock()
		return len(sk.nodes) == 2 && sk.entries[keyOf("GET", "/x")] != nil && sk.entries[keyOf("GET", "/fail")] != nil
	})
	poll(t, "each user's exception", func() bool { return sk.errorCount("oops") == 4 })
	x, fail := sk.entry("GET", "/x"), sk.entry("GET", "/fail")
	if x.requests == 0 || x.failures != 0 || x.size != 10*x.requests || x.sum != time.Duration(x.requests)*12500*time.Microsecond {
		t.Errorf("GET /x: %+v, want 12.5 ms and 10 bytes a request", x)
	}
	if fail.requests == 0 || fail.failures != fail.requests || fail.sum != time.Duration(fail.requests)*40*time.Millisecond {
		t.Errorf("GET /fail: %+v, want every request failed in 40 ms", fail)
	}
	if n := sk.failuresMatching("GET /fail: Exception('boom')"); n == 0 {
		t.Errorf("failures %v, want GET /fail: Exception('boom')", sk.failures)
	}

	// Stop: the workers confirm, then register again (stop timeout 0).
	if left := m.Stop(10 * time.Second); left != 0 {
		t.Errorf("%d users left after the stop", left)
	}
	if n := m.UserCount(); n != 0 {
		t.Errorf("%d users after the stop", n)
	}
	poll(t, "both workers ready again", func() bool {
		ws := m.Workers()
		return len(ws) == 2 && ws[0].State == wire.StateReady && ws[1].State == wire.StateReady &&
			ws[0].Index == 0 && ws[1].Index == 1
	})

	// Quit: the workers send their last report and quit, then exit 0.
	m.Quit(20 * time.Second)
	if ws := m.Workers(); len(ws) != 0 {
		t.Errorf("workers left after quit: %+v", ws)
	}
	for i, p := range procs {
		if code := p.exitCode(t); code != 0 {
			t.Errorf("locust worker %d exited with %d", i, code)
		}
		out := p.out.String()
		// A 2.12.1 worker warns about every master heartbeat; a stale
		// spawn is discarded.
		for _, bad := range []string{"Unknown message type", "Discard spawn", "RPCError", "KeyError"} {
			if strings.Contains(out, bad) {
				t.Errorf("locust worker %d logged %q", i, bad)
			}
		}
	}
	if n := logs.count("ERROR"); n != 0 {
		t.Errorf("the master logged %d errors", n)
	}
}

// Two endpoints, three requests to /a for each to /b; the target's
// latency keeps requests in flight when the stop comes.
const countingLocustfile = `from locust import HttpUser, task, constant


class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def a(self):
        self.client.get("/a")

    @task(1)
    def b(self):
        self.client.get("/b")
`

// countingTarget is an HTTP server on 127.0.0.1 that counts the requests
// to each path and answers each after a short delay.
type countingTarget struct {
	srv   *httptest.Server
	a, b  atomic.Int64
	other atomic.Int64
}

func newCountingTarget(t *testing.T) *countingTarget {
	ct := &countingTarget{}
	ct.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			ct.a.Add(1)
		case "/b":
			ct.b.Add(1)
		default:
			ct.other.Add(1)
		}
		time.Sleep(20 * time.Millisecond) // the target's latency
		w.Write([]byte("ok"))
	}))
	t.Cleanup(ct.srv.Close)
	return ct
}

// TestLocustWorkersFinalReports is issue 11's run in small: two stock
// Locust workers hit a counting target; after Stop (users finish their
// requests within the stop timeout) and AwaitFinalReports, what the
// master merged equals what the target counted, per endpoint, although
// Locust workers send the last of it after client_stopped. Then Quit:
// each worker wakes from its post-stop sleep (the stop timeout) with a
// client_ready, which is answered with quit and registers nothing, and
// leaves once.
func TestLocustWorkersFinalReports(t *testing.T) {
	t.Parallel()
	needLocust(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	lf := filepath.Join(dir, "locustfile.py")
	if err := os.WriteFile(lf, []byte(countingLocustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	target := newCountingTarget(t)
	logs, logger := newLogs(t)
	sk := newSink()
	m, err := StartMaster(ctx, MasterOptions{Bind: "tcp://127.0.0.1:0", Logger: logger, OnDelta: sk.onDelta})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	port := strconv.Itoa(m.Port())
	var procs []*locustProc
	for range 2 {
		procs = append(procs, startLocust(t, ctx, dir, "-f", lf, "--worker", "--master-host", "127.0.0.1", "--master-port", port))
	}
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	// The stop timeout lets the users finish their requests, and is the
	// workers' sleep after the stop: longer than their report interval
	// (3 s), so the final reports come before they wake.
	const stopTimeout = 4 * time.Second
	if err := m.Start(4, 100, target.srv.URL, stopTimeout, func(n int) { done <- n }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the ramp never ended")
	}
	poll(t, "requests on the target", func() bool { return target.a.Load()+target.b.Load() >= 40 })
	if left := m.Stop(10 * time.Second); left != 0 {
		t.Errorf("%d users left after the stop", left)
	}
	if missing := m.AwaitFinalReports(ctx); missing != nil {
		t.Errorf("final reports missing from %v", missing)
	}
	a, b := sk.entry("GET", "/a"), sk.entry("GET", "/b")
	if a.requests != uint64(target.a.Load()) || b.requests != uint64(target.b.Load()) || target.other.Load() != 0 {
		t.Errorf("merged GET /a %d, GET /b %d; the target counted /a %d, /b %d (and %d others)",
			a.requests, b.requests, target.a.Load(), target.b.Load(), target.other.Load())
	}
	if a.failures+b.failures != 0 {
		t.Errorf("%d failures", a.failures+b.failures)
	}

	connected := logs.count("worker connected")
	if missing := m.Quit(20 * time.Second); missing != nil {
		t.Errorf("Quit named %v", missing)
	}
	for i, p := range procs {
		if code := p.exitCode(t); code != 0 {
			t.Errorf("locust worker %d exited with %d", i, code)
		}
		if out := p.out.String(); strings.Contains(out, "Unknown message type") || strings.Contains(out, "Traceback") {
			t.Errorf("locust worker %d logged an error", i)
		}
	}
	if n := logs.count("worker connected"); n != connected {
		t.Errorf("%d workers registered after the quit", n-connected)
	}
	if n := logs.count("quitting: a worker asked to register"); n != 2 {
		t.Errorf("%d client_ready after the quit, want 2 (one per worker, when its post-stop sleep ends)", n)
	}
	if n := logs.count("worker quit"); n != 2 {
		t.Errorf("%d quits logged, want 2 (one per worker)", n)
	}
	if ws := m.Workers(); len(ws) != 0 {
		t.Errorf("workers left after quit: %+v", ws)
	}
	if got := sk.entry("GET", "/a").requests + sk.entry("GET", "/b").requests; got != a.requests+b.requests {
		t.Errorf("%d requests merged after the final reports", got-a.requests-b.requests)
	}
}
