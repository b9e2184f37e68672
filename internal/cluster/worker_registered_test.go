package cluster

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// TestOnRegisteredRunsOnceBeforeAnySpawn: the hook runs after the first
// ack with its index, while heartbeats go on, and no message from the
// master (here a spawn sent right after the ack) is handled before it
// returns. Registering again after a stop does not run it again.
func TestOnRegisteredRunsOnceBeforeAnySpawn(t *testing.T) {
	t.Parallel()
	rm := listenRaw(t)
	logs, logger := newLogs(t)
	local := newScriptedLocal("Shopper")
	var calls atomic.Int64
	entered := make(chan int, 1)
	release := make(chan struct{})
	run, _ := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{Logger: logger,
		OnRegistered: func(ctx context.Context, index int, send func(string, any) error) error {
			calls.Add(1)
			entered <- index
			<-release
			return send("hello", map[string]any{"index": index})
		}})
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 3, HasIndex: true})
	rm.send(t, "herd_1", spawnMsg(100, 2))
	if i := <-entered; i != 3 {
		t.Errorf("OnRegistered got index %d, want the ack's 3", i)
	}
	poll(t, "heartbeats while OnRegistered runs", func() bool { return rm.count(wire.TypeHeartbeat) >= 3 })
	if n := rm.count(wire.TypeSpawning); n != 0 || local.lastApplied() != nil {
		t.Fatalf("the spawn was handled (%d spawning messages) before OnRegistered returned", n)
	}
	close(release)
	if m := rm.waitType(t, "hello"); m.Type != "hello" {
		t.Fatal(m.Type)
	}
	rm.waitType(t, wire.TypeSpawning)
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 2 {
		t.Errorf("spawning_complete %v, want Shopper: 2", c)
	}

	// Stop, then register again (stop timeout 0): acked again, with the
	// same index or, wrongly, another one; the hook does not run again.
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeStop})
	rm.waitType(t, wire.TypeClientStopped)
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 3, HasIndex: true})
	rm.send(t, "herd_1", wire.Ack{Index: 5, HasIndex: true})
	rm.send(t, "herd_1", spawnMsg(101, 1))
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 1 {
		t.Errorf("spawning_complete %v, want Shopper: 1", c)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("OnRegistered ran %d times, want once", n)
	}
	if n := logs.count("WARN", "another index"); n != 1 {
		t.Errorf("%d warnings about an ack with another index, want 1", n)
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}

// TestOnRegisteredError: the hook's error ends RunWorker with that error
// wrapped; the master is told the worker quits, and nothing it sent
// meanwhile is handled.
func TestOnRegisteredError(t *testing.T) {
	t.Parallel()
	rm := listenRaw(t)
	local := newScriptedLocal("Shopper")
	errInit := errors.New("init listener failed")
	entered := make(chan struct{})
	release := make(chan struct{})
	run, _ := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{
		OnRegistered: func(context.Context, int, func(string, any) error) error {
			close(entered)
			<-release
			return errInit
		}})
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	<-entered
	rm.send(t, "herd_1", spawnMsg(100, 2))
	close(release)
	if err := workerErr(t, run); !errors.Is(err, errInit) {
		t.Fatalf("RunWorker returned %v, want %v wrapped", err, errInit)
	}
	rm.waitType(t, wire.TypeQuit)
	if n := rm.count(wire.TypeSpawning); n != 0 || local.lastApplied() != nil {
		t.Errorf("the spawn was handled (%d spawning messages) by a worker whose start-up failed", n)
	}
}

// cappedLocal runs at most max users of each class, as a runner that
// cannot start some users does.
type cappedLocal struct {
	*scriptedLocal
	max int
}

func (c *cappedLocal) Apply(counts map[string]int, host string, stop time.Duration) {
	capped := maps.Clone(counts)
	for k, v := range capped {
		capped[k] = min(v, c.max)
	}
	c.scriptedLocal.Apply(capped, host, stop)
}

// TestSpawningCompleteCountsWhatRuns: a worker sends spawning_complete
// after Apply returned, with the users actually running (Counts), not the
// ones the spawn asked for.
func TestSpawningCompleteCountsWhatRuns(t *testing.T) {
	t.Parallel()
	rm := listenRaw(t)
	local := &cappedLocal{scriptedLocal: newScriptedLocal("Shopper", "Browser"), max: 3}
	run, _ := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{})
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	rm.send(t, "herd_1", wire.Spawn{Timestamp: 100, UserClassesCount: map[string]int{"Shopper": 5, "Browser": 2},
		ParsedOptions: map[string]any{}})
	rm.waitType(t, wire.TypeSpawning)
	m := rm.waitType(t, wire.TypeSpawningComplete)
	sc, err := wire.DecodeSpawningComplete(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if c := sc.UserClassesCount; c["Shopper"] != 3 || c["Browser"] != 2 || sc.UserCount != 5 {
		t.Errorf("spawning_complete %v (%d users), want Shopper 3, Browser 2 (5 users)", c, sc.UserCount)
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}

// TestWorkerLeavesAQuittingMaster: a herd worker that connects to a
// master that has quit gets quit instead of an ack, and ends without
// error instead of asking again and again.
func TestWorkerLeavesAQuittingMaster(t *testing.T) {
	t.Parallel()
	logs, logger := newLogs(t)
	m, ep := fastMaster(t, MasterOptions{Logger: logger})
	if missing := m.Quit(0); missing != nil {
		t.Fatalf("Quit named %v with no worker", missing)
	}
	run, _ := runWorker(t, ep, "herd_late", newScriptedLocal("Shopper"), WorkerOptions{ReadyRetry: testWait})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	if n := logs.count("worker connected"); n != 0 {
		t.Errorf("a worker registered with a master that quit")
	}
	if n := logs.count("quitting: a worker asked to register", "herd_late"); n != 1 {
		t.Errorf("%d refused registrations logged, want 1", n)
	}
}
