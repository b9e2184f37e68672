package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

var masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)

// lines are out's lines, sorted.
func lines(out string) []string {
	l := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(l)
	return l
}

// A master and two workers (the users print without sending requests, so
// any host does): each worker gets half the names and thanks the master;
// every user has a name of its own.
func TestSplitsUsersOverWorkers(t *testing.T) {
	t.Parallel()
	var masterOut, workerOut, logs porttest.Buffer
	done := make(chan error, 1)
	go func() {
		res, err := newTest(&masterOut).Execute(context.Background(), herd.Env{Stderr: &logs, Args: []string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "2",
			"--headless", "-u", "4", "-r", "100", "-t", "2s"}})
		if err == nil && res.ExitCode != 0 {
			t.Errorf("master exit code %d", res.ExitCode)
		}
		done <- err
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
	for range 2 {
		workers.Go(func() {
			res, err := newTest(&workerOut).Execute(context.Background(), herd.Env{Stderr: &logs, Args: []string{
				"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
			if err != nil || res.ExitCode != 0 {
				t.Errorf("worker: %+v, %v", res, err)
			}
		})
	}
	workers.Wait()
	if err := <-done; err != nil {
		t.Fatalf("master: %v\n%s", err, logs.String())
	}
	if got := lines(masterOut.String()); !slices.Equal(got, []string{"Thanks for the 2 users!", "Thanks for the 2 users!"}) {
		t.Errorf("the master printed %q\n%s", got, logs.String())
	}
	names := slices.Compact(lines(workerOut.String()))
	if !slices.Equal(names, []string{"User0", "User1", "User2", "User3"}) {
		t.Errorf("the users printed %q, want each of User0 to User3", names)
	}
}

// On its own, the process keeps every name.
func TestStandaloneKeepsAllNames(t *testing.T) {
	t.Parallel()
	var out porttest.Buffer
	res, err := newTest(&out).Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "3", "-r", "100", "-t", "1s"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if names := slices.Compact(lines(out.String())); !slices.Equal(names, []string{"User0", "User1", "User2"}) {
		t.Errorf("the users printed %q", names)
	}
}
