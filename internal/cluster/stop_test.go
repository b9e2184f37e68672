package cluster

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// TestStopWaitsForFinalReports: Stop returns only once every worker's
// final report is merged, including a worker that runs no user but still
// has requests to report and takes its time to stop. Over several
// start/stop cycles, what the master merged equals what the workers
// recorded at the moment Stop returns.
func TestStopWaitsForFinalReports(t *testing.T) {
	t.Parallel()
	sk := newSink()
	m, ep := fastMaster(t, MasterOptions{OnDelta: sk.onDelta, Classes: []Class{{Name: "Shopper", Weight: 1}},
		Tick: time.Second, Liveness: 3})
	// Each report carries one request per running user; stopping users
	// finish with 7 more requests.
	locals := []*scriptedLocal{newScriptedLocal("Shopper"), newScriptedLocal("Shopper")}
	for i, l := range locals {
		l.onTake = func(r *recorder, users, _ int) {
			for range users {
				r.request("GET", "/", 5*time.Millisecond, 10, "")
			}
		}
		l.onStop = func(r *recorder) {
			for range 7 {
				r.request("GET", "/stop", 5*time.Millisecond, 10, "")
			}
		}
		runWorker(t, ep, "herd_"+string(rune('a'+i)), l, WorkerOptions{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for cycle := range 3 {
		// One user: one worker runs it, the other none.
		startAndWait(t, m, 1)
		busy, idle := locals[0], locals[1]
		if busy.users() == 0 {
			busy, idle = idle, busy
		}
		if busy.users() != 1 || idle.users() != 0 {
			t.Fatalf("users %d and %d, want 1 and 0", busy.users(), idle.users())
		}
		poll(t, "requests from the busy worker", func() bool { return sk.requests() > 0 })
		gate := make(chan struct{})
		release := sync.OnceFunc(func() { close(gate) })
		t.Cleanup(release) // before the workers' cleanup, if the test fails
		idle.mu.Lock()
		idle.stopGate = gate
		idle.mu.Unlock()
		idleStops := idle.stops.Load()

		type result struct {
			left   int
			merged uint64
		}
		res := make(chan result, 1)
		go func() {
			left := m.Stop(testWait)
			res <- result{left, sk.requests()}
		}()
		// The busy worker stopped and reported no user: a master that
		// waited only for the user count would return now.
		poll(t, "the busy worker stopped", func() bool { return busy.stops.Load() == int64(cycle+1) && m.UserCount() == 0 })
		select {
		case r := <-res:
			t.Fatalf("cycle %d: Stop returned (%d users left) before the idle worker confirmed", cycle, r.left)
		default:
		}
		release()
		var r result
		select {
		case r = <-res:
		case <-time.After(testWait):
			t.Fatal("Stop did not return")
		}
		if idle.stops.Load() != idleStops+1 {
			t.Fatal("the idle worker was not stopped")
		}
		recorded := uint64(busy.recorded().requests + idle.recorded().requests)
		if r.left != 0 || r.merged != recorded {
			t.Errorf("cycle %d: Stop left %d users with %d requests merged; the workers recorded %d",
				cycle, r.left, r.merged, recorded)
		}
		idle.mu.Lock()
		idle.stopGate = nil
		idle.mu.Unlock()
		poll(t, "both workers ready again", func() bool { return m.ActiveWorkers() == 2 })
	}
	if e := sk.entry("GET", "/stop"); e.requests != 3*2*7 {
		t.Errorf("%d requests recorded while stopping were merged, want %d", e.requests, 3*2*7)
	}
}

// TestWorkerHeartbeatsWhileStopping: a worker whose users take long to
// stop keeps heartbeating, so its master does not take it for missing. A
// silent reference worker measures the master's liveness window: it went
// silent after the slow worker's Stop began, so without heartbeats the
// slow worker would be missing no later than it.
func TestWorkerHeartbeatsWhileStopping(t *testing.T) {
	t.Parallel()
	m, ep := fastMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}},
		Tick: 50 * time.Millisecond, Liveness: 3, RemoveAfter: time.Hour})
	slow := newScriptedLocal("Shopper")
	gate := make(chan struct{})
	slow.stopGate = gate
	runWorker(t, ep, "herd_slow", slow, WorkerOptions{HeartbeatEvery: 10 * time.Millisecond})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	ref := dialRaw(t, ep, "raw_ref", true)
	ref.register(t, wire.ClientReadyVersion("2.12.1"))
	ref.beating.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	startAndWait(t, m, 4)
	stopped := make(chan int, 1)
	go func() { stopped <- m.Stop(testWait) }()
	poll(t, "the slow worker stopping", func() bool { return slow.stopping.Load() == 1 })
	ref.beating.Store(false)
	poll(t, "the reference worker missing", func() bool { return stateOf(m, ref.id) == "missing" })
	if s := stateOf(m, "herd_slow"); s == "missing" || s == "" {
		t.Errorf("the slow worker is %q while it stops its users", s)
	}
	release()
	select {
	case left := <-stopped:
		if left != 0 {
			t.Errorf("%d users left after the stop", left)
		}
	case <-time.After(testWait):
		t.Fatal("Stop did not return")
	}
}

// TestStopSendsAtOnce: Stop's messages go out at the instant it is called,
// so a distributed run time ends on its deadline: not after the ramp's
// pause between two steps, nor after a ramp's onDone that is still
// running (it may wait for the very code that calls Stop). No spawn
// follows the stop.
func TestStopSendsAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rate float64 // 1 user a second: a pause of 1 s after each
		busy bool    // onDone blocks until the test ends
	}{{"in the ramp's pause", 1, false}, {"in onDone", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				m, f := fakeMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}}})
				registerFake(t, f, "w", false)
				release := make(chan struct{})
				defer close(release) // before the master's Close, which waits for onDone
				inDone := make(chan struct{}, 1)
				onDone := func(int) {
					inDone <- struct{}{}
					if tc.busy {
						<-release
					}
				}
				if err := m.Start(10, tc.rate, "http://127.0.0.1:1", 0, onDone); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if tc.busy {
					spawnedFake(t, f, "w")
					select {
					case <-inDone:
					default:
						t.Fatal("onDone did not run")
					}
				}
				time.Sleep(300 * time.Millisecond) // into the pause, or into onDone
				spawns := len(f.messages(wire.TypeSpawn, "w"))
				stopAt := time.Now()
				stopped := make(chan int, 1)
				go func() { stopped <- m.Stop(time.Second) }()
				synctest.Wait()
				stops := f.messages(wire.TypeStop, "w")
				if len(stops) != 1 || !stops[0].at.Equal(stopAt) {
					t.Fatalf("stop messages %v, want one sent at %v", stops, stopAt)
				}
				f.from(t, "w", wire.Signal{Type: wire.TypeClientStopped})
				select {
				case <-stopped:
				default:
					t.Fatal("Stop did not return when the worker confirmed")
				}
				time.Sleep(3 * time.Second)
				if n := len(f.messages(wire.TypeSpawn, "w")); n != spawns {
					t.Errorf("%d spawns after the stop", n-spawns)
				}
			})
		})
	}
}
