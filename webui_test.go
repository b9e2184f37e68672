package herd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var uiURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/\S*)`)

// startUI runs test with the web UI on a free loopback port and returns the
// UI's URL, a function that stops herd and returns its exit code, and its
// output (stdout too, so that a failure shows the summary).
func startUI(t *testing.T, test *herd.Test, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := new(syncBuffer)
	done := make(chan int, 1)
	go func() {
		done <- mainRun(test, ctx, herd.Env{Args: append([]string{"--web-host", "127.0.0.1", "-P", "0"}, args...), Stdout: stderr, Stderr: stderr})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := uiURL.FindStringSubmatch(stderr.String()); m != nil {
			var once sync.Once
			code := -1
			stop := func() int {
				once.Do(func() { cancel(); code = <-done })
				return code
			}
			t.Cleanup(func() { stop() })
			return m[1], stop, stderr
		}
		select {
		case code := <-done:
			t.Fatalf("herd exited with %d before serving the UI:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no UI URL in the log:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loggedMasterPort waits for a master's log to say its port.
func loggedMasterPort(t *testing.T, stderr *syncBuffer) string {
	t.Helper()
	var port string
	poll(t, "the master's port", func() bool {
		m := masterPort.FindStringSubmatch(stderr.String())
		if m != nil {
			port = m[1]
		}
		return m != nil
	})
	return port
}

// startWorker runs test as a worker of the master on port; stop ends it
// and returns its exit code (again when called again).
func startWorker(test *herd.Test, port string) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- mainRun(test, ctx, herd.Env{Stderr: new(syncBuffer), Args: []string{
			"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
	}()
	return sync.OnceValue(func() int { cancel(); return <-done })
}

// TestWebUIDrivesATest starts, changes and stops a test through the
// Locust-compatible API against a local target, then quits: the final
// reports are written from the last test.
func TestWebUIDrivesATest(t *testing.T) {
	t.Parallel()
	ts := okServer(t)
	dir := t.TempDir()
	base, stop, stderr := startUI(t, pingTest(), "--json-file", filepath.Join(dir, "r.json"), "--html", filepath.Join(dir, "r.html"), "--csv", filepath.Join(dir, "run"))

	var state struct {
		State       string `json:"state"`
		UserCount   int    `json:"user_count"`
		UserClasses []struct {
			Name string `json:"name"`
		} `json:"user_classes"`
	}
	getJSON(t, base+"api/state", &state)
	if state.State != "ready" || len(state.UserClasses) != 2 {
		t.Fatalf("state before start: %+v", state)
	}
	// A bad form changes nothing.
	resp, err := http.PostForm(base+"swarm", url.Values{"user_count": {"-3"}, "spawn_rate": {"fast"}, "host": {"ftp://x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad form: %s", resp.Status)
	}
	resp, err = http.PostForm(base+"swarm", url.Values{"user_count": {"4"}, "spawn_rate": {"100"}, "host": {ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("swarm: %s", resp.Status)
	}
	poll(t, "4 running users", func() bool {
		getJSON(t, base+"api/state", &state)
		return state.State == "running" && state.UserCount == 4
	})
	var locust struct {
		Stats []struct {
			Name        string `json:"name"`
			NumRequests int    `json:"num_requests"`
		} `json:"stats"`
		State     string `json:"state"`
		UserCount int    `json:"user_count"`
	}
	poll(t, "requests in /stats/requests", func() bool {
		getJSON(t, base+"stats/requests", &locust)
		return len(locust.Stats) > 1 && locust.Stats[len(locust.Stats)-1].NumRequests > 0
	})
	// Change the user count mid-run, as the Edit form does.
	resp, err = http.PostForm(base+"swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	poll(t, "2 users", func() bool {
		getJSON(t, base+"api/state", &state)
		return state.State == "running" && state.UserCount == 2
	})
	resp, err = http.Get(base + "stop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	poll(t, "stopped", func() bool {
		getJSON(t, base+"api/state", &state)
		return state.State == "stopped"
	})
	for _, path := range []string{"stats/requests/csv", "stats/failures/csv", "exceptions/csv", "stats/report", "api/report.json", "tasks", "exceptions"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %s (%d bytes)", path, resp.Status, len(body))
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
	for _, f := range []string{"r.json", "r.html", "run_stats.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.Contains(data, []byte("/ping")) {
			t.Errorf("%s: %v (%d bytes)", f, err, len(data))
		}
	}
}

// TestAutostartAutoquit runs a test at once with the UI up and quits by
// itself after the run time.
func TestAutostartAutoquit(t *testing.T) {
	t.Parallel()
	stderr := new(syncBuffer)
	done := make(chan int, 1)
	go func() {
		done <- mainRun(pingTest(), context.Background(), herd.Env{Stderr: stderr,
			Args: []string{"--web-host", "127.0.0.1", "-P", "0", "--autostart", "--autoquit", "1", "-u", "2", "-r", "10", "-t", "1s", "Quiet"}})
	}()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stderr.String(), "--autoquit") {
			t.Errorf("exit code %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("herd did not quit by itself:\n%s", stderr.String())
	}
}

// TestUIMasterOutlivesItsLastWorker: a master serving the web UI stops the
// test when its last worker leaves, and keeps serving (Locust: "The last
// worker quit, stopping test."); a new worker can run the next test.
func TestUIMasterOutlivesItsLastWorker(t *testing.T) {
	t.Parallel()
	ts := okServer(t)
	// -s: the worker's users finish the requests in flight when it leaves.
	// Killed, they would be failures "interrupted at stop"; an endpoint
	// whose only request of the last test was cut would make the master
	// exit 1.
	base, stop, stderr := startUI(t, pingTest(), "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "-s", "5s")
	port := loggedMasterPort(t, stderr)
	var state struct {
		State       string `json:"state"`
		WorkerCount int    `json:"worker_count"`
		UserCount   int    `json:"user_count"`
	}
	for round := range 2 {
		stopWorker := startWorker(pingTest(), port)
		poll(t, "a worker", func() bool {
			getJSON(t, base+"api/state", &state)
			return state.WorkerCount == 1
		})
		resp, err := http.PostForm(base+"swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"100"}, "host": {ts.URL}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		poll(t, "2 running users", func() bool {
			getJSON(t, base+"api/state", &state)
			return state.State == "running" && state.UserCount == 2
		})
		if code := stopWorker(); code != 0 { // Ctrl-C on the worker
			t.Fatalf("worker exit code %d", code)
		}
		poll(t, "the test stopped", func() bool {
			getJSON(t, base+"api/state", &state)
			return state.State == "stopped"
		})
		if n := strings.Count(stderr.String(), "the last worker left: stopping the test"); n != round+1 {
			t.Errorf("the master logged the last worker leaving %d times, want %d\n%s", n, round+1, stderr)
		}
	}
	if strings.Contains(stderr.String(), "quitting") {
		t.Fatalf("the master quit with its last worker:\n%s", stderr)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
}
