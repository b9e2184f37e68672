package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// How a gatedLocal's Apply of a total behaves.
const (
	// applyBlocks: the count change runs until released, or until Stop
	// or a newer Apply interrupts it (herd's runner checks between two
	// chunks of users); it then returns once out is open, having changed
	// nothing.
	applyBlocks = iota + 1
	// applyLate: the call reaches the runner only once released (as if
	// its goroutine were descheduled), then sets its counts: Stop and
	// newer Applies do not interrupt it.
	applyLate
)

// gatedLocal is a scriptedLocal whose Apply of some totals takes as long
// as the test wants, and whose StartOpen blocks like applyBlocks.
type gatedLocal struct {
	*scriptedLocal
	modes map[int]int // total → applyBlocks or applyLate; fixed before the worker runs

	gmu       sync.Mutex
	release   chan struct{} // closed by the test: a gated call completes
	out       chan struct{} // closed by the test: an interrupted call returns
	interrupt chan struct{} // closed and replaced by each Stop, Apply and StartOpen
	shares    []OpenShare   // StartOpen then Reshare orders
	spawned   []int         // what OnSpawningComplete got

	working     atomic.Int64 // Apply and StartOpen calls in progress
	stopsInCall atomic.Int64 // Stop calls made while one was
	interrupted atomic.Int64 // calls that gave up
}

func newGatedLocal(modes map[int]int) *gatedLocal {
	out := make(chan struct{})
	close(out)
	return &gatedLocal{scriptedLocal: newScriptedLocal("Shopper"), modes: modes, release: make(chan struct{}),
		out: out, interrupt: make(chan struct{})}
}

// begin registers a call that interrupts the older ones; it returns what
// ends this one.
func (g *gatedLocal) begin() (release, interrupt, out <-chan struct{}) {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	close(g.interrupt)
	g.interrupt = make(chan struct{})
	return g.release, g.interrupt, g.out
}

// block waits for release (true) or an interruption (false).
func (g *gatedLocal) block(release, interrupt, out <-chan struct{}) bool {
	select {
	case <-release:
		return true
	case <-interrupt:
		<-out
		g.interrupted.Add(1)
		return false
	}
}

func (g *gatedLocal) Apply(counts map[string]int, host string, stopTimeout time.Duration) {
	g.working.Add(1)
	defer g.working.Add(-1)
	switch g.modes[sum(counts)] {
	case applyLate:
		g.gmu.Lock()
		release := g.release
		g.gmu.Unlock()
		<-release
		g.begin()
	case applyBlocks:
		if !g.block(g.begin()) {
			return
		}
	default:
		g.begin()
	}
	g.scriptedLocal.Apply(counts, host, stopTimeout)
}

func (g *gatedLocal) Stop() {
	if g.working.Load() > 0 {
		g.stopsInCall.Add(1)
	}
	g.begin()
	g.scriptedLocal.Stop()
}

func (g *gatedLocal) StartOpen(s OpenShare, host string, stopTimeout time.Duration, _ func()) error {
	g.working.Add(1)
	defer g.working.Add(-1)
	g.gmu.Lock()
	g.shares = append(g.shares, s)
	g.gmu.Unlock()
	if g.block(g.begin()) {
		g.scriptedLocal.Apply(map[string]int{"Shopper": s.Pool}, host, stopTimeout)
	}
	return nil
}

func (g *gatedLocal) Reshare(s OpenShare) {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	g.shares = append(g.shares, s)
}

func (g *gatedLocal) spawnedHook() []int {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	return slices.Clone(g.spawned)
}

func (g *gatedLocal) orders() []OpenShare {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	return slices.Clone(g.shares)
}

// set replaces one of the gates (release or out) for the calls that
// begin from now on, closing the old one.
func (g *gatedLocal) set(gate *chan struct{}, open bool) {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	c := make(chan struct{})
	if open {
		close(c)
	}
	*gate = c
}

func (g *gatedLocal) open(gate *chan struct{}) {
	g.gmu.Lock()
	defer g.gmu.Unlock()
	close(*gate)
}

// spawnWorker runs a registered worker over local; its reports carry
// "working": the local's calls in progress when they were made. It
// records the users OnSpawningComplete gets in spawned.
func spawnWorker(t *testing.T, local *gatedLocal) (*rawMaster, *workerRun, context.CancelFunc) {
	t.Helper()
	rm := listenRaw(t)
	run, cancel := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{
		ReportExtra: func() map[string]any { return map[string]any{"working": local.working.Load()} },
		OnSpawningComplete: func(users int) {
			local.gmu.Lock()
			local.spawned = append(local.spawned, users)
			local.gmu.Unlock()
		}})
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	return rm, run, cancel
}

// lastReportBefore is the "working" of the last stats report before the
// first message of type typ (heartbeats may come between them).
func lastReportBefore(t *testing.T, rm *rawMaster, typ string) int64 {
	t.Helper()
	rm.mu.Lock()
	defer rm.mu.Unlock()
	end := slices.IndexFunc(rm.msgs, func(m wire.Message) bool { return m.Type == typ })
	i := end - 1
	for i >= 0 && rm.msgs[i].Type == wire.TypeHeartbeat {
		i--
	}
	if end < 0 || i < 0 || rm.msgs[i].Type != wire.TypeStats {
		t.Fatalf("no stats report right before %s", typ)
	}
	r, err := wire.DecodeStatsReport(rm.msgs[i].Data)
	if err != nil {
		t.Fatal(err)
	}
	var working int64
	if err := msgpack.Unmarshal(r.Extra["working"], &working); err != nil {
		t.Fatal(err)
	}
	return working
}

// heartbeatsSince counts the heartbeats in state received after the
// first n messages.
func heartbeatsSince(t *testing.T, rm *rawMaster, n int, state string) int {
	t.Helper()
	rm.mu.Lock()
	defer rm.mu.Unlock()
	c := 0
	for _, m := range rm.msgs[n:] {
		if m.Type == wire.TypeHeartbeat {
			hb, err := wire.DecodeHeartbeat(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if hb.State == state {
				c++
			}
		}
	}
	return c
}

func received(rm *rawMaster) int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return len(rm.msgs)
}

// TestWorkerStopInterruptsSpawn: a stop that arrives while a spawn's count
// change runs gets through at once: Stop is called while Apply still
// runs; the final report and client_stopped wait until Apply returned;
// the interrupted spawn is not confirmed. Heartbeats say "spawning"
// meanwhile.
func TestWorkerStopInterruptsSpawn(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(map[int]int{500_000: applyBlocks})
	local.set(&local.out, false) // the interrupted Apply ends its chunk when the test says
	rm, run, _ := spawnWorker(t, local)

	rm.send(t, "herd_1", spawnMsg(1, 500_000))
	rm.waitType(t, wire.TypeSpawning)
	poll(t, "the count change running", func() bool { return local.working.Load() == 1 })
	n := received(rm)
	poll(t, "heartbeats while spawning", func() bool { return heartbeatsSince(t, rm, n, wire.StateSpawning) >= 2 })

	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeStop})
	poll(t, "Stop during the count change", func() bool { return local.stopsInCall.Load() > 0 })
	// The worker waits for the count change: heartbeats go on, nothing
	// else is sent.
	n = received(rm)
	poll(t, "heartbeats while the count change ends", func() bool { return heartbeatsSince(t, rm, n, wire.StateSpawning) >= 3 })
	if c := rm.count(wire.TypeClientStopped); c != 0 {
		t.Fatal("client_stopped before the interrupted Apply returned")
	}
	local.open(&local.out)
	rm.waitType(t, wire.TypeClientStopped)
	if w := lastReportBefore(t, rm, wire.TypeClientStopped); w != 0 {
		t.Errorf("the final report was made while %d calls ran", w)
	}
	if c := rm.count(wire.TypeSpawningComplete); c != 0 {
		t.Errorf("%d spawning_complete for an interrupted spawn", c)
	}
	if local.interrupted.Load() != 1 || local.users() != 0 {
		t.Errorf("%d interrupted calls, %d users left", local.interrupted.Load(), local.users())
	}

	// The next test runs as usual.
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	rm.send(t, "herd_1", spawnMsg(2, 3))
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 3 {
		t.Errorf("spawning_complete %v, want Shopper: 3", c)
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	if got := local.spawnedHook(); !slices.Equal(got, []int{3}) {
		t.Errorf("OnSpawningComplete got %v, want [3]: the interrupted spawn is not confirmed", got)
	}
}

// TestWorkerNewerSpawnSupersedes: a newer spawn interrupts the count
// change in progress; the newer counts hold, and only the newer spawn is
// confirmed, after which heartbeats say "running".
func TestWorkerNewerSpawnSupersedes(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(map[int]int{500_000: applyBlocks})
	rm, run, _ := spawnWorker(t, local)

	rm.send(t, "herd_1", spawnMsg(1, 500_000))
	poll(t, "the count change running", func() bool { return local.working.Load() == 1 })
	rm.send(t, "herd_1", spawnMsg(2, 10))
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 10 {
		t.Fatalf("spawning_complete %v, want Shopper: 10", c)
	}
	n := received(rm)
	poll(t, "heartbeats while running", func() bool { return heartbeatsSince(t, rm, n, wire.StateRunning) >= 2 })
	if local.interrupted.Load() != 1 || local.users() != 10 {
		t.Errorf("%d interrupted calls, %d users; want 1 and 10", local.interrupted.Load(), local.users())
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	if c := rm.count(wire.TypeSpawningComplete); c != 1 {
		t.Errorf("%d spawning_complete, want 1", c)
	}
	if got := local.spawnedHook(); !slices.Equal(got, []int{10}) {
		t.Errorf("OnSpawningComplete got %v, want [10]", got)
	}
	if local.stops.Load() != 1 || local.stopsInCall.Load() != 0 {
		t.Errorf("%d stops (%d during a count change), want one after it", local.stops.Load(), local.stopsInCall.Load())
	}
}

// TestWorkerNewestCountsHoldWhateverTheOrder: when the superseded spawn's
// Apply reaches the runner after the newer one's (its goroutine was
// late), the newer counts are applied again once it returned.
func TestWorkerNewestCountsHoldWhateverTheOrder(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(map[int]int{500_000: applyLate})
	rm, run, _ := spawnWorker(t, local)

	rm.send(t, "herd_1", spawnMsg(1, 500_000))
	poll(t, "the older Apply called", func() bool { return local.working.Load() == 1 })
	rm.send(t, "herd_1", spawnMsg(2, 10))
	poll(t, "the newer Apply given at once", func() bool {
		a := local.lastApplied()
		return a != nil && a["Shopper"] == 10
	})
	if c := rm.count(wire.TypeSpawningComplete); c != 0 {
		t.Fatal("the newer spawn was confirmed before the older one ended")
	}
	local.open(&local.release) // the older counts land last
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 10 {
		t.Errorf("spawning_complete %v, want Shopper: 10", c)
	}
	local.mu.Lock()
	applied := slices.Clone(local.applied)
	local.mu.Unlock()
	want := []int{10, 500_000, 10}
	if len(applied) != len(want) {
		t.Fatalf("applied %v, want Shopper %v", applied, want)
	}
	for i, a := range applied {
		if a["Shopper"] != want[i] {
			t.Fatalf("applied %v, want Shopper %v", applied, want)
		}
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}

// TestWorkerQuitInterruptsSpawn: quit during a count change stops it, and
// the worker leaves with its final report, then quit.
func TestWorkerQuitInterruptsSpawn(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(map[int]int{500_000: applyBlocks})
	rm, run, _ := spawnWorker(t, local)

	rm.send(t, "herd_1", spawnMsg(1, 500_000))
	poll(t, "the count change running", func() bool { return local.working.Load() == 1 })
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	rm.waitType(t, wire.TypeQuit)
	if local.stopsInCall.Load() == 0 || local.interrupted.Load() != 1 {
		t.Errorf("%d stops during the count change, %d interrupted; want some and 1", local.stopsInCall.Load(), local.interrupted.Load())
	}
	if w := lastReportBefore(t, rm, wire.TypeQuit); w != 0 {
		t.Errorf("the final report was made while %d calls ran", w)
	}
	if c := rm.count(wire.TypeSpawningComplete); c != 0 {
		t.Errorf("%d spawning_complete for an interrupted spawn", c)
	}
}

// TestWorkerCancelInterruptsSpawn: the worker's own Ctrl-C (its context)
// during a count change that only a Stop ends: RunWorker returns, after
// telling the master.
func TestWorkerCancelInterruptsSpawn(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(map[int]int{500_000: applyBlocks})
	rm, run, cancel := spawnWorker(t, local)

	rm.send(t, "herd_1", spawnMsg(1, 500_000))
	poll(t, "the count change running", func() bool { return local.working.Load() == 1 })
	cancel()
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	rm.waitType(t, wire.TypeQuit)
	if local.stopsInCall.Load() == 0 || local.working.Load() != 0 {
		t.Errorf("%d stops during the count change, %d calls running", local.stopsInCall.Load(), local.working.Load())
	}
	if w := lastReportBefore(t, rm, wire.TypeQuit); w != 0 {
		t.Errorf("the final report was made while %d calls ran", w)
	}
}

// openSpawn is a spawn message with an open-model share.
func openSpawn(t *testing.T, ts float64, s OpenShare) wire.Spawn {
	t.Helper()
	raw, err := msgpack.Marshal(&spawnExt{V: 1, Open: s.ext()})
	if err != nil {
		t.Fatal(err)
	}
	sp := spawnMsg(ts, 0)
	sp.Extra = map[string]msgpack.RawMessage{extKey: raw}
	return sp
}

// TestWorkerOpenSpawnOffTheLoop: an open-model run's pool starts off the
// message loop; a new share for it waits for the start and is confirmed
// once, after it; a stop interrupts a pool's start.
func TestWorkerOpenSpawnOffTheLoop(t *testing.T) {
	t.Parallel()
	local := newGatedLocal(nil)
	rm, run, _ := spawnWorker(t, local)
	start := time.Now().Add(time.Hour)
	share := OpenShare{Rate: "10/s", Start: start, Share: 0, Shares: 1, Pool: 4, MaxUsers: 4}

	rm.send(t, "herd_1", openSpawn(t, 1, share))
	poll(t, "the pool starting", func() bool { return local.working.Load() == 1 })
	reshare := share
	reshare.Shares, reshare.From = 2, time.Second
	rm.send(t, "herd_1", openSpawn(t, 2, reshare))
	poll(t, "both spawns received", func() bool { return rm.count(wire.TypeSpawning) == 2 })
	n := received(rm)
	poll(t, "heartbeats while the pool starts", func() bool { return heartbeatsSince(t, rm, n, wire.StateSpawning) >= 2 })
	if o := local.orders(); len(o) != 1 {
		t.Fatalf("orders %+v before the pool started, want the start only", o)
	}
	local.open(&local.release)
	if c := decodeCounts(t, rm.waitType(t, wire.TypeSpawningComplete)); c["Shopper"] != 4 {
		t.Errorf("spawning_complete %v, want Shopper: 4", c)
	}
	if o := local.orders(); len(o) != 2 || o[1].Shares != 2 {
		t.Errorf("orders %+v, want the start then the new share", o)
	}

	// A stop during a new run's pool start.
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeStop})
	rm.waitType(t, wire.TypeClientStopped)
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	local.set(&local.release, false)
	share.Start = start.Add(time.Minute)
	rm.send(t, "herd_1", openSpawn(t, 3, share))
	poll(t, "the pool starting", func() bool { return local.working.Load() == 1 })
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeStop})
	rm.waitType(t, wire.TypeClientStopped)
	if local.stopsInCall.Load() == 0 || local.interrupted.Load() != 1 {
		t.Errorf("%d stops during the pool start, %d interrupted; want some and 1", local.stopsInCall.Load(), local.interrupted.Load())
	}
	if c := rm.count(wire.TypeSpawningComplete); c != 1 {
		t.Errorf("%d spawning_complete, want 1", c)
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, run); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}

// events is a log safe for several goroutines.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.log = append(e.log, s)
	e.mu.Unlock()
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.log)
}

// TestSpawnerOrder: jobs call the Local one after the other in order; a
// job that replaces the older ones knows when one of them is inside a
// call (to interrupt it); only the newest job is confirmed, and the
// worker's state follows.
func TestSpawnerOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ev, states events
		s := &spawner{setState: states.add}
		job := func(name string) func(j *spawnJob) {
			return func(j *spawnJob) {
				ev.add(fmt.Sprintf("%s busy=%v", name, j.busy))
				j.wait()
				if j.enter() {
					ev.add(name + " in")
					j.leave()
				}
				j.finish(func() { ev.add(name + " confirmed") })
			}
		}
		release := make(chan struct{})
		s.start(true, func(j *spawnJob) { // a long count change
			if j.enter() {
				ev.add("A in")
				<-release
				j.leave()
			}
			j.finish(func() { ev.add("A confirmed") })
		})
		synctest.Wait()
		s.start(true, job("B"))  // supersedes A
		synctest.Wait()          // B waits for A
		s.start(false, job("C")) // a new share: after B, superseding nothing
		synctest.Wait()
		s.start(true, job("D")) // supersedes B and C before they ran
		synctest.Wait()
		close(release)
		synctest.Wait()
		want := []string{"A in", "B busy=true", "C busy=true", "D busy=true", "D in", "D confirmed"}
		if got := ev.get(); !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		if got, want := states.get(), []string{"spawning", "spawning", "spawning", "spawning", "running"}; !slices.Equal(got, want) {
			t.Errorf("states %q, want %q", got, want)
		}
		if s.end(func() { t.Error("Stop with no job in a call") }) {
			t.Error("end reports a Stop")
		}

		// After an end, jobs run as usual: nothing is busy any more.
		s.start(true, job("E"))
		synctest.Wait()
		if got := ev.get()[len(want):]; !slices.Equal(got, []string{"E busy=false", "E in", "E confirmed"}) {
			t.Errorf("events after the end %q", got)
		}
	})
}

// TestSpawnerEndStopsAgain: a job let in just before the end reaches the
// Local only after the first Stop (which then missed it); end calls Stop
// again stopRetry later, and returns once the job ended.
func TestSpawnerEndStopsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &spawner{setState: func(string) {}}
		reach := make(chan struct{})
		var mu sync.Mutex
		var reached bool
		interrupt := make(chan struct{})
		s.start(true, func(j *spawnJob) {
			if !j.enter() {
				t.Error("the job was not let in")
				return
			}
			defer j.leave()
			<-reach
			mu.Lock()
			reached = true
			mu.Unlock()
			<-interrupt // a count change that only a later Stop interrupts
		})
		synctest.Wait()
		var stops int
		stop := func() {
			stops++
			mu.Lock()
			defer mu.Unlock()
			if reached {
				close(interrupt)
			}
			if stops == 1 {
				close(reach) // the job reaches the Local just after
			}
		}
		start := time.Now()
		if !s.end(stop) {
			t.Error("end does not report its Stop")
		}
		if stops != 2 || time.Since(start) != stopRetry {
			t.Errorf("%d stops, end returned after %v; want 2 after %v", stops, time.Since(start), stopRetry)
		}
	})
}
