package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// needLocust returns the locust command, skipping (or failing with
// HERD_E2E=required) when Debian's python3-locust is missing.
func needLocust(t *testing.T) string {
	t.Helper()
	const locust = "/usr/bin/locust"
	if _, err := os.Stat(locust); err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("Locust is required (apt-get install python3-locust): %v", err)
		}
		t.Skip("Locust not installed (python3-locust)")
	}
	return locust
}

// orderPy is a locustfile that writes each event, and each user's start
// and stop, to $ORDER_OUT, in order.
const orderPy = `
import os
from locust import HttpUser, task, events, constant

def rec(what):
    with open(os.environ["ORDER_OUT"], "a") as f:
        f.write(what + "\n")

@events.init.add_listener
def _(environment, **kw): rec("init")
@events.test_start.add_listener
def _(environment, **kw): rec("test_start")
@events.spawning_complete.add_listener
def _(user_count, **kw): rec("spawning_complete")
@events.test_stopping.add_listener
def _(environment, **kw): rec("test_stopping")
@events.test_stop.add_listener
def _(environment, **kw): rec("test_stop")
@events.quitting.add_listener
def _(environment, **kw): rec("quitting")

class U(HttpUser):
    wait_time = constant(0.2)
    def on_start(self): rec("user_start")
    def on_stop(self): rec("user_stop")
    @task
    def t(self): self.client.get("/")
`

// recorder is a herd test recording the same, and its sequence.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(what string) {
	r.mu.Lock()
	r.got = append(r.got, what)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type orderUser struct {
	herd.HTTPUser
	rec *recorder
}

func (u *orderUser) OnStart(context.Context) error { u.rec.add("user_start"); return nil }
func (u *orderUser) OnStop(context.Context) error  { u.rec.add("user_stop"); return nil }
func (u *orderUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "t", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }}}
}

func orderTest() (*herd.Test, *recorder) {
	r := new(recorder)
	test := &herd.Test{Users: []*herd.UserType{{Name: "U", Wait: herd.Constant(200 * time.Millisecond),
		New: func() herd.User { return &orderUser{rec: r} }}}}
	e := &test.Events
	e.OnInit(func(context.Context, *herd.RunInfo) error { r.add("init"); return nil })
	e.OnTestStart(func(context.Context) error { r.add("test_start"); return nil })
	e.OnSpawningComplete(func(int) { r.add("spawning_complete") })
	e.OnTestStopping(func(context.Context) { r.add("test_stopping") })
	e.OnTestStop(func(context.Context) { r.add("test_stop") })
	e.OnQuitting(func(*herd.Quit) { r.add("quitting") })
	return test, r
}

// phases is a sequence as the events' order and, for each user event,
// the event it came after: users start and stop at their own pace, so
// only the phase they do it in is fixed (a user's start before or after
// spawning_complete is a race in Locust and herd alike).
func phases(seq []string) (events, users []string) {
	last := ""
	for _, e := range seq {
		if strings.HasPrefix(e, "user_") {
			users = append(users, strings.Replace(e+" after "+last, "after spawning_complete", "after test_start", 1))
			continue
		}
		events, last = append(events, e), e
	}
	slices.Sort(users)
	return events, users
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func okTarget(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A headless run fires its events, and its users start and stop, in the
// order Locust 2.12.1's do, Locust run side by side.
func TestEventOrderMatchesLocust(t *testing.T) {
	t.Parallel()
	locust := needLocust(t)
	host, dir := okTarget(t), t.TempDir()
	file := filepath.Join(dir, "order.py")
	if err := os.WriteFile(file, []byte(orderPy), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, locust, "-f", file, "--headless", "-u", "2", "-r", "2", "-t", "2", "-H", host, "--only-summary")
	cmd.Env = append(os.Environ(), "ORDER_OUT="+filepath.Join(dir, "order.local"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("locust: %v\n%s", err, out)
	}
	test, rec := orderTest()
	res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "2", "-r", "2", "-t", "2s", "-H", host}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("herd: %+v, %v", res, err)
	}
	le, lu := phases(readLines(t, filepath.Join(dir, "order.local")))
	he, hu := phases(rec.list())
	if !slices.Equal(he, le) || !slices.Equal(hu, lu) {
		t.Errorf("herd fired %v, users %v;\nLocust fired %v, users %v", he, hu, le, lu)
	}
}

var masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)

// underMaster runs a herd master for one worker, started by worker(port),
// and waits for both.
func underMaster(t *testing.T, host string, worker func(port string) error) {
	t.Helper()
	var logs strings.Builder
	var mu sync.Mutex
	stderr := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	done := make(chan error, 1)
	go func() {
		test, _ := orderTest()
		res, err := test.Execute(context.Background(), herd.Env{Stderr: stderr, Args: []string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "1",
			"--headless", "-u", "2", "-r", "2", "-t", "2s", "-s", "5s", "-H", host}})
		if err == nil && res.ExitCode != 0 {
			t.Errorf("master exit code %d", res.ExitCode)
		}
		done <- err
	}()
	var port string
	for deadline := time.Now().Add(30 * time.Second); port == ""; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		m := masterPort.FindStringSubmatch(logs.String())
		mu.Unlock()
		if m != nil {
			port = m[1]
		} else if time.Now().After(deadline) {
			t.Fatal("no master port")
		}
	}
	if err := worker(port); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A worker fires its events in the order a Locust 2.12.1 worker does
// under the same (herd) master: Debian's Locust master cannot take Locust
// workers (its empty version reads as pre-2.0), and a Locust master's
// order is in its source (the tests of the root package check herd's).
func TestWorkerEventOrderMatchesLocust(t *testing.T) {
	t.Parallel()
	locust := needLocust(t)
	host, dir := okTarget(t), t.TempDir()
	file := filepath.Join(dir, "order.py")
	if err := os.WriteFile(file, []byte(orderPy), 0o644); err != nil {
		t.Fatal(err)
	}
	underMaster(t, host, func(port string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, locust, "-f", file, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
		cmd.Env = append(os.Environ(), "ORDER_OUT="+filepath.Join(dir, "order.worker"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("locust worker: %v\n%s", err, out)
		}
		return nil
	})
	test, rec := orderTest()
	underMaster(t, host, func(port string) error {
		res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
		if err == nil && res.ExitCode != 0 {
			t.Errorf("herd worker exit code %d", res.ExitCode)
		}
		return err
	})
	// Locust's worker takes its master's first spawn as soon as it
	// connected, so a herd master that starts at once can make it fire
	// test_start before init (a race of Locust 2.12.1's); herd's worker
	// runs OnInit before it handles any spawn. Their order aside, the
	// sequences must be the same.
	withoutInit := func(seq []string) []string {
		if slices.Index(seq, "init") < 0 {
			t.Errorf("no init in %v", seq)
		}
		return slices.DeleteFunc(seq, func(e string) bool { return e == "init" })
	}
	le, lu := phases(withoutInit(readLines(t, filepath.Join(dir, "order.worker"))))
	he, hu := phases(withoutInit(rec.list()))
	if got := rec.list(); got[0] != "init" {
		t.Errorf("herd's worker fired %v before init", got[0])
	}
	if !slices.Equal(he, le) || !slices.Equal(hu, lu) {
		t.Errorf("herd's worker fired %v, users %v;\nLocust's fired %v, users %v", he, hu, le, lu)
	}
}
