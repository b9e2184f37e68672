package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// target answers "/" with 100 bytes and "/stats/requests" with 37.
func target(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/stats/requests":
			w.Write([]byte(`{"state":"running","user_count":5}  `))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

var total = regexp.MustCompile(`^Total content-length received: (\d+)\n$`)

// printedTotal is the total the process printed.
func printedTotal(t *testing.T, out string) int64 {
	t.Helper()
	m := total.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("printed %q", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// On its own, the process's sum is its statistics' total size.
func TestSumsContentLength(t *testing.T) {
	t.Parallel()
	var out porttest.Buffer
	res, err := newTest(&out).Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "5", "-r", "5",
		"-t", "3s", "-s", "10s", "-H", target(t)}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if got, want := printedTotal(t, out.String()), int64(res.Stats.Total.TotalSize); got != want || got == 0 {
		t.Errorf("printed a total of %d, the statistics have %d", got, want)
	}
}

var masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)

// Distributed, each worker hands its sum to the master in its reports
// (whatever the width msgpack gave the numbers), and the master's total
// is its merged statistics' total size; the workers print nothing.
func TestSumsOverWorkers(t *testing.T) {
	t.Parallel()
	host := target(t)
	var masterOut, logs porttest.Buffer
	type result struct {
		res herd.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := newTest(&masterOut).Execute(context.Background(), herd.Env{Stderr: &logs, Args: []string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "2",
			"--headless", "-u", "6", "-r", "6", "-t", "3s", "-s", "10s", "-H", host}})
		done <- result{res, err}
	}()
	var port string
	for deadline := time.Now().Add(30 * time.Second); port == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no master port:\n%s", logs.String())
		}
		if m := masterPort.FindStringSubmatch(logs.String()); m != nil {
			port = m[1]
		}
	}
	var workers sync.WaitGroup
	var workerOut porttest.Buffer
	for range 2 {
		workers.Go(func() {
			res, err := newTest(&workerOut).Execute(context.Background(), herd.Env{Args: []string{
				"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
			if err != nil || res.ExitCode != 0 {
				t.Errorf("worker: %+v, %v", res, err)
			}
		})
	}
	workers.Wait()
	r := <-done
	if r.err != nil || r.res.ExitCode != 0 {
		t.Fatalf("master: %+v, %v\n%s", r.res, r.err, logs.String())
	}
	if got, want := printedTotal(t, masterOut.String()), int64(r.res.Stats.Total.TotalSize); got != want || got == 0 {
		t.Errorf("the master printed a total of %d, its statistics have %d", got, want)
	}
	if s := workerOut.String(); s != "" {
		t.Errorf("workers printed %q", s)
	}
}
