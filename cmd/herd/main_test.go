package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/herdload/herd/internal/paralleltest"
)

// herdBin is this command, built once for every test of the package.
var herdBin struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error
}

// The tests wait on the herd and Locust processes they start.
func TestMain(m *testing.M) {
	code := paralleltest.Main(m, 8)
	if herdBin.dir != "" {
		os.RemoveAll(herdBin.dir)
	}
	os.Exit(code)
}

// buildHerd compiles this command into a temporary directory, once.
func buildHerd(t *testing.T) (string, error) {
	t.Helper()
	herdBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "herd-test-")
		if err != nil {
			herdBin.err = err
			return
		}
		herdBin.dir = dir
		bin := filepath.Join(dir, "herd")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			herdBin.err = errors.New(string(out))
			return
		}
		herdBin.path = bin
	})
	return herdBin.path, herdBin.err
}

// TestInterruptWritesReports sends SIGINT to a real herd process mid-run:
// it must stop (the signal, not its 10 m run time, ends the test; a hang is
// killed after 2 m), print the summary and leave complete CSV files.
func TestInterruptWritesReports(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	prefix := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, "demo", "--headless", "-u", "10", "-r", "50", "-t", "10m", "--csv", prefix, "--exit-code-on-error", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer kill.Stop()

	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() { // the first live table has been printed
		out.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "Aggregated") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herd: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "reason=interrupted") {
		t.Errorf("the signal did not end the test:\n%s", stderr.String())
	}
	if !strings.Contains(out.String(), "Summary: ran for") || !strings.Contains(out.String(), "Response time percentiles") {
		t.Errorf("no summary after SIGINT:\n%s", out.String())
	}
	for _, f := range []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		data, err := os.ReadFile(prefix + f)
		if err != nil || !bytes.HasSuffix(data, []byte("\r\n")) {
			t.Errorf("%s: %v (%d bytes)", f, err, len(data))
		}
	}
	stats, _ := os.ReadFile(prefix + "_stats.csv")
	if !bytes.Contains(stats, []byte("/api/login")) {
		t.Errorf("_stats.csv has no rows:\n%s", stats)
	}
}

// TestProcesses runs `herd demo --processes 2`: a master in the herd
// process and two worker processes of the same binary.
func TestProcesses(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "demo", "--headless", "--processes", "2", "--master-bind-port", "0",
		"-u", "6", "-r", "100", "-t", "3s", "--json", "--only-summary", "--exit-code-on-error", "0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("herd: %v\n%s", err, stderr.String())
	}
	var rep struct {
		Total struct {
			Requests int `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Total.Requests == 0 {
		t.Fatalf("report %v: %s\n%s", err, stdout.String(), stderr.String())
	}
	// Workers register again after the test stops, with the same index.
	if log := stderr.String(); !strings.Contains(log, "index=0") || !strings.Contains(log, "index=1") || strings.Contains(log, "index=2") {
		t.Errorf("want exactly two workers (index 0 and 1):\n%s", log)
	}
	if n := strings.Count(stderr.String(), "worker done"); n != 2 {
		t.Errorf("%d workers finished, want 2:\n%s", n, stderr.String())
	}
}

// TestMasterCommand runs `herd master` (no test code) with a worker built
// from a test program: the master learns the user classes from it.
func TestMasterCommand(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := startMaster(t, ctx, bin, "master", "--headless", "--master-bind-host", "127.0.0.1",
		"--master-bind-port", "0", "-u", "4", "-r", "100", "-t", "3s", "--only-summary", "--exit-code-on-error", "0")
	master, stdout, port := m.cmd, &m.stdout, m.port
	worker := exec.CommandContext(ctx, bin, "demo", "--worker", "--master-port", port)
	var wlog bytes.Buffer
	worker.Stderr = &wlog
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	if err := master.Wait(); err != nil {
		t.Fatalf("master: %v", err)
	}
	if err := worker.Wait(); err != nil {
		t.Fatalf("worker: %v\n%s", err, wlog.String())
	}
	for _, want := range []string{"Aggregated", "/api/products"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the master's summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestKillWorker kills one of two worker processes with SIGKILL mid-run:
// the master notices, keeps running (moving the users to the survivor,
// --enable-rebalancing) until it is interrupted, and its final report
// counts every request the target saw except, at most, the dead worker's
// last unreported interval. The test ends once the loss was noticed, not
// after a run time chosen to outlast the heartbeat timeout.
func TestKillWorker(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	var seen atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer target.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := startMaster(t, ctx, bin, "demo", "--master", "--headless", "--master-bind-host", "127.0.0.1",
		"--master-bind-port", "0", "--expect-workers", "2", "--enable-rebalancing", "-u", "20", "-r", "100",
		"-t", "1m", "-H", target.URL, "--json", "--only-summary", "--exit-code-on-error", "0")
	master, stdout, port := m.cmd, &m.stdout, m.port
	var workers []*exec.Cmd
	for range 2 {
		w := exec.CommandContext(ctx, bin, "demo", "--worker", "--master-port", port)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	// Once traffic flows, kill the first worker outright.
	deadline := time.Now().Add(time.Minute)
	for seen.Load() < 50 {
		if time.Now().After(deadline) {
			t.Fatal("no traffic reached the target")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := workers[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	workers[0].Wait()
	deadline = time.Now().Add(time.Minute) // a hang guard: the heartbeat timeout is seconds
	for !strings.Contains(m.log.String(), "worker missing") {
		if time.Now().After(deadline) {
			t.Fatalf("the master never noticed the dead worker:\n%s", m.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	master.Process.Signal(syscall.SIGINT)
	if err := master.Wait(); err != nil {
		t.Fatalf("master: %v", err)
	}
	<-m.logDone
	log := &m.log
	// The signal ended the test: the loss of one worker of two did not.
	if !strings.Contains(log.String(), "reason=interrupted") {
		t.Errorf("the test did not run on until interrupted:\n%s", log.String())
	}
	if err := workers[1].Wait(); err != nil {
		t.Errorf("surviving worker: %v", err)
	}
	var rep struct {
		Total struct {
			Requests int64 `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	lost := seen.Load() - rep.Total.Requests
	t.Logf("target saw %d requests, the master reported %d: %d lost with the killed worker", seen.Load(), rep.Total.Requests, lost)
	// 10 users on the dead worker at ≤ 2 requests/s each, for at most one
	// 3-second report interval (plus the request in flight).
	if lost < 0 || lost > 10*2*4 {
		t.Errorf("lost %d requests, more than one report interval of the dead worker", lost)
	}
}

// masterProcess is a herd master started by startMaster.
type masterProcess struct {
	cmd     *exec.Cmd
	port    string // the port it listens on for workers
	stdout  bytes.Buffer
	log     lockedLog // its stderr, complete once logDone is closed
	logDone chan struct{}
}

// lockedLog is a log written by one goroutine and read by another.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startMaster starts a herd master process and waits for the port it
// listens on (it binds port 0).
func startMaster(t *testing.T, ctx context.Context, bin string, args ...string) *masterProcess {
	t.Helper()
	m := &masterProcess{cmd: exec.CommandContext(ctx, bin, args...), logDone: make(chan struct{})}
	m.cmd.Stdout = &m.stdout
	stderr, err := m.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		m.log.WriteString(lines.Text() + "\n")
		if _, p, ok := strings.Cut(lines.Text(), `master listening for workers" port=`); ok {
			m.port = p
			break
		}
	}
	if m.port == "" {
		t.Fatalf("no port in the master's log:\n%s", m.log.String())
	}
	go func() {
		defer close(m.logDone)
		for lines.Scan() {
			m.log.WriteString(lines.Text() + "\n")
		}
	}()
	return m
}
