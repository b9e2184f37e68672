//go:build unix

package cluster

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The environment of TestWorkerProcess, the worker that
// TestWorkerSurvivesSIGSTOP runs in a process of its own.
const (
	workerProcessMaster = "HERD_TEST_WORKER_PROCESS_MASTER"
	workerProcessID     = "herd_sigstop"
)

// TestWorkerProcess is not a test: TestWorkerSurvivesSIGSTOP runs it in a
// child process as a worker of its master, fast heartbeats and a short
// MasterTimeout, logging to stderr.
func TestWorkerProcess(t *testing.T) {
	master := os.Getenv(workerProcessMaster)
	if master == "" {
		t.Skip("the worker process of TestWorkerSurvivesSIGSTOP")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	err := RunWorker(ctx, WorkerOptions{Master: master, NodeID: workerProcessID, Logger: logger,
		HeartbeatEvery: 50 * time.Millisecond, ReportEvery: 100 * time.Millisecond, MasterTimeout: time.Second},
		newScriptedLocal("Shopper"))
	if err != nil {
		t.Fatalf("the worker ended with %v", err)
	}
}

// TestWorkerSurvivesSIGSTOP stops a worker process (SIGSTOP) until its
// master removed it and longer than its MasterTimeout, then continues it
// (SIGCONT): the worker registers again and gets its users back instead of
// leaving, and it quits cleanly when its master says so.
func TestWorkerSurvivesSIGSTOP(t *testing.T) {
	t.Parallel()
	_, logger := newLogs(t)
	m, ep := fastMaster(t, MasterOptions{Logger: logger, Classes: []Class{{Name: "Shopper", Weight: 1}},
		Tick: 50 * time.Millisecond, Liveness: 3, RemoveAfter: 200 * time.Millisecond, Rebalance: true})

	ctx, cancel := context.WithTimeout(context.Background(), 2*testWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWorkerProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), workerProcessMaster+"="+ep)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a worker process: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		cancel()
		<-done
		if t.Failed() {
			t.Logf("worker process:\n%s", out.String())
		}
	})

	if err := m.WaitForWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	startAndWait(t, m, 2)
	poll(t, "the worker to hear the master's heartbeats", func() bool {
		return strings.Contains(out.String(), "the master sends heartbeats")
	})

	// A machine busy with other tests may stall the worker long enough
	// for its master to forget it already: count the registrations.
	const again = "registered with the master again"
	before := strings.Count(out.String(), again)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Skipf("cannot stop the worker process: %v", err)
	}
	stoppedAt := time.Now()
	poll(t, "the master to remove the stopped worker", func() bool { return stateOf(m, workerProcessID) == "" })
	// The stimulus, not a wait for an event: the pause must be longer
	// than the worker's MasterTimeout (1 s), so that the old worker would
	// leave on waking.
	time.Sleep(time.Until(stoppedAt.Add(2 * time.Second)))
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	poll(t, "the worker to register again", func() bool { return strings.Count(out.String(), again) > before })
	poll(t, "its users back", func() bool { return m.ActiveWorkers() == 1 && m.UserCount() == 2 })
	for _, line := range []string{"this worker did not run for a while", "stopping the users and registering again"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the worker did not log %q", line)
		}
	}
	if missing := m.Quit(testWait); len(missing) != 0 {
		t.Errorf("final reports missing from %v", missing)
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("the worker process ended with %v", err)
		}
	case <-time.After(testWait):
		t.Fatal("the worker process did not quit")
	}
}
