package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// locustfile is a Locust test whose users hit /locust on the host.
const locustfile = `
from locust import HttpUser, task, constant

class PyUser(HttpUser):
    wait_time = constant(0.2)

    @task
    def hit(self):
        self.client.get("/locust")
`

// TestLocustWorkersJoinHerdMaster runs `herd master` with two real Locust
// workers: the master dispatches their Python users and reports their
// requests.
func TestLocustWorkersJoinHerdMaster(t *testing.T) {
	t.Parallel()
	locust := needLocust(t)
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	var seen atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.Write([]byte("ok"))
	}))
	defer target.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "locustfile.py")
	if err := os.WriteFile(file, []byte(locustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	master := exec.CommandContext(ctx, bin, "master", "--headless", "--master-bind-host", "127.0.0.1",
		"--master-bind-port", port, "--expect-workers", "2", "-u", "4", "-r", "10", "-t", "3s",
		"-H", target.URL, "--json", "--only-summary")
	var out, log bytes.Buffer
	master.Stdout, master.Stderr = &out, &log
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	var workers []*exec.Cmd
	for range 2 {
		w := exec.CommandContext(ctx, locust, "-f", file, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
		w.Dir = dir
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	if err := master.Wait(); err != nil {
		t.Fatalf("herd master: %v\n%s", err, log.String())
	}
	for _, w := range workers {
		if err := w.Wait(); err != nil {
			t.Errorf("locust worker: %v", err)
		}
	}
	var rep struct {
		Stats []struct {
			Method   string `json:"method"`
			Name     string `json:"name"`
			Requests int64  `json:"num_requests"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s\n%s", err, out.String(), log.String())
	}
	if len(rep.Stats) != 1 || rep.Stats[0].Name != "/locust" || rep.Stats[0].Method != "GET" || rep.Stats[0].Requests == 0 {
		t.Fatalf("stats %+v\n%s", rep.Stats, log.String())
	}
	t.Logf("Locust workers sent %d requests, the herd master reported %d", seen.Load(), rep.Stats[0].Requests)
	// Locust workers stop their users at once (no stop timeout), so the
	// last in-flight requests may be missing; the rest must be there.
	if got := rep.Stats[0].Requests; got > seen.Load() || got < seen.Load()-8 {
		t.Errorf("the herd master reported %d requests, the target saw %d", got, seen.Load())
	}
}

// TestHerdWorkerJoinsLocustMaster runs a real Locust master with a herd
// worker: Locust's CSV must count exactly what the target saw.
func TestHerdWorkerJoinsLocustMaster(t *testing.T) {
	t.Parallel()
	locust := needLocust(t)
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
	dir := t.TempDir()
	// The Locust master needs user classes with the herd worker's names.
	file := filepath.Join(dir, "locustfile.py")
	classes := "from locust import User, task\n\nclass Shopper(User):\n    weight = 3\n    @task\n    def t(self): pass\n\nclass Browser(User):\n    @task\n    def t(self): pass\n"
	if err := os.WriteFile(file, []byte(classes), 0o644); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := filepath.Join(dir, "run")
	master := exec.CommandContext(ctx, locust, "-f", file, "--master", "--master-bind-host", "127.0.0.1",
		"--master-bind-port", port, "--headless", "-u", "8", "-r", "8", "-t", "3s", "--expect-workers", "1",
		"-H", target.URL, "--csv", prefix, "--stop-timeout", "10")
	master.Dir = dir
	var mlog bytes.Buffer
	master.Stdout, master.Stderr = &mlog, &mlog
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	worker := exec.CommandContext(ctx, bin, "demo", "--worker", "--master-port", port)
	wlogPipe, err := worker.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	var wlog strings.Builder
	go func() {
		s := bufio.NewScanner(wlogPipe)
		for s.Scan() {
			wlog.WriteString(s.Text() + "\n")
		}
	}()
	if err := master.Wait(); err != nil {
		t.Logf("locust master: %v (Locust exits 1 when any request failed)", err)
	}
	if err := worker.Wait(); err != nil {
		t.Errorf("herd worker: %v", err)
	}
	f, err := os.Open(prefix + "_stats.csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, mlog.String())
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, r := range rows {
		if len(r) > 2 && r[1] == "Aggregated" {
			total, _ = strconv.ParseInt(r[2], 10, 64)
		}
	}
	t.Logf("the target saw %d requests, Locust's master counted %d", seen.Load(), total)
	if total == 0 || total != seen.Load() {
		t.Errorf("Locust's master counted %d requests, the target saw %d\n%s", total, seen.Load(), mlog.String())
	}
}
