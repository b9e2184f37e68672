package herd_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/herdload/herd"
)

// TestOnWorkerChange: a master's listeners hear a worker connect, then
// leave when it quits, with its index and id, and Node.Workers agrees.
func TestOnWorkerChange(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var heard []string
	test := pingTest()
	test.Events.OnWorkerChange(func(ctx context.Context, ch herd.WorkerChange) {
		line := fmt.Sprintf("%s %d %v", ch.Kind, ch.Worker.Index, ch.Worker.ID != "")
		if ch.Kind == herd.WorkerConnected {
			line += fmt.Sprintf(" listed=%d", len(herd.NodeFrom(ctx).Workers()))
		}
		mu.Lock()
		heard = append(heard, line)
		mu.Unlock()
	})
	heardNow := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(heard, ",")
	}
	_, stop, stderr := startUI(t, test, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0")
	port := loggedMasterPort(t, stderr)
	stopWorker := startWorker(pingTest(), port)
	poll(t, "the worker's connection", func() bool { return heardNow() != "" })
	stopWorker()
	poll(t, "the worker's departure", func() bool { return strings.Contains(heardNow(), "left") })
	if got, want := heardNow(), "connected 0 true listed=1,left 0 true"; got != want {
		t.Errorf("heard %q, want %q", got, want)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
}
