package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// pipeConn connects a worker to a master on a fakeRouter, in memory, for
// tests in a testing/synctest bubble. It can freeze the worker as a
// SIGSTOP does: its sends and receives block until thaw, so within a
// report interval every goroutine of the worker is stuck while the fake
// clock runs, and its timers fire late when it thaws. It can also cut the
// master off: frames are then lost both ways, as with a master that
// vanished.
type pipeConn struct {
	id string
	f  *fakeRouter

	mu     sync.Mutex
	inbox  [][]byte
	thawed chan struct{} // non-nil while frozen; closed by thaw
	cut    bool

	ready     chan struct{} // the inbox got a frame
	closed    chan struct{}
	closeOnce sync.Once
}

// newPipeConn connects worker id to f's master; what the master sends to
// id lands in the worker's inbox.
func newPipeConn(f *fakeRouter, id string) *pipeConn {
	c := &pipeConn{id: id, f: f, ready: make(chan struct{}, 1), closed: make(chan struct{})}
	f.mu.Lock()
	f.onSend = c.deliver
	f.mu.Unlock()
	return c
}

// deliver queues a message from the master. It never blocks: the master
// sends while holding its lock.
func (c *pipeConn) deliver(to string, m wire.Message) {
	if to != c.id {
		return
	}
	frame, err := wire.Encode(m)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	if !c.cut {
		c.inbox = append(c.inbox, frame)
	}
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// frozen returns the channel that thaw closes, nil when not frozen.
func (c *pipeConn) frozen() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.thawed
}

func (c *pipeConn) Send(frame []byte) error {
	if th := c.frozen(); th != nil {
		select {
		case <-th:
		case <-c.closed:
			return transport.ErrClosed
		}
	}
	c.mu.Lock()
	cut := c.cut
	c.mu.Unlock()
	if cut {
		return nil
	}
	select {
	case c.f.in <- fakeFrame{id: c.id, payload: frame}:
	case <-c.f.stop:
	case <-c.closed:
		return transport.ErrClosed
	}
	return nil
}

func (c *pipeConn) Recv(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		wake := c.thawed
		if wake == nil && len(c.inbox) > 0 {
			frame := c.inbox[0]
			c.inbox = c.inbox[1:]
			c.mu.Unlock()
			return frame, nil
		}
		c.mu.Unlock()
		if wake == nil {
			wake = c.ready
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, transport.ErrClosed
		}
	}
}

func (c *pipeConn) Reconnect() error { return nil }

func (c *pipeConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *pipeConn) freeze() {
	c.mu.Lock()
	c.thawed = make(chan struct{})
	c.mu.Unlock()
}

func (c *pipeConn) thaw() {
	c.mu.Lock()
	close(c.thawed)
	c.thawed = nil
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// cutOff loses every frame from now on, both ways.
func (c *pipeConn) cutOff() {
	c.mu.Lock()
	c.cut, c.inbox = true, nil
	c.mu.Unlock()
}

// pausedCluster is a herd master with Locust's liveness (a heartbeat a
// second, missing after 3 silent ticks, removed 60 s later, rebalancing)
// and one herd worker with the default timing (MasterTimeout 60 s), in
// the current bubble, the worker running 3 users.
type pausedCluster struct {
	m     *Master
	f     *fakeRouter
	c     *pipeConn
	local *scriptedLocal
	logs  *logs
	errc  chan error
	stop  context.CancelFunc
}

const pausedID = "herd_1"

func startPausedCluster(t *testing.T) *pausedCluster {
	t.Helper()
	m, f := fakeMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}},
		Tick: time.Second, Liveness: 3, Rebalance: true})
	logs, logger := newLogs(t)
	pc := &pausedCluster{m: m, f: f, c: newPipeConn(f, pausedID), local: newScriptedLocal("Shopper"), logs: logs, errc: make(chan error, 1)}
	opts := WorkerOptions{Master: "tcp://master:5557", NodeID: pausedID, Logger: logger}
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	pc.stop = cancel
	go func() { pc.errc <- runWorkerOn(ctx, opts, pc.local, pc.c, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-pc.errc; err != nil {
			t.Logf("the worker ended with %v", err)
		}
	})
	synctest.Wait()
	if n := m.ActiveWorkers(); n != 1 {
		t.Fatalf("%d active workers, want 1", n)
	}
	if err := m.Start(3, 0, "http://127.0.0.1:1", 0, nil); err != nil {
		t.Fatal(err)
	}
	// A few heartbeats each way: the master knows a herd worker, which
	// knows the master sends heartbeats.
	time.Sleep(5500 * time.Millisecond)
	if pc.local.users() != 3 {
		t.Fatalf("%d users, want 3", pc.local.users())
	}
	if pc.logs.count("the master sends heartbeats") != 1 {
		t.Fatal("the worker does not know that the master sends heartbeats")
	}
	return pc
}

// running fails the test if the worker ended.
func (pc *pausedCluster) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-pc.errc:
		pc.errc <- err // for the cleanup
		t.Fatalf("the worker ended with %v", err)
	default:
	}
}

// TestWorkerPauseRegistersAgain: a worker whose process did not run for
// 70 s (its sends, receives and timers all stuck) wakes to a master that
// removed it and ignores its heartbeats. It does not leave (the old
// worker did: 70 s since the master's last heartbeat, MasterTimeout 60 s)
// but stops its users, which the master gave away, registers again, and
// gets users again.
func TestWorkerPauseRegistersAgain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		pc := startPausedCluster(t)
		pc.c.freeze()
		time.Sleep(70 * time.Second)
		if s := stateOf(pc.m, pausedID); s != "" {
			t.Fatalf("the master did not remove the paused worker: %q", s)
		}
		if n := pc.local.stops.Load(); n != 0 {
			t.Fatalf("the users stopped %d times during the pause", n)
		}
		woke := time.Now()
		pc.c.thaw()
		synctest.Wait()
		pc.running(t)
		if pc.logs.count("this worker did not run for a while", "for=") != 1 {
			t.Error("the pause was not logged")
		}
		// The master gets three heartbeats to answer, then the worker
		// registers again.
		time.Sleep(2 * time.Second)
		if n := len(pc.f.messages(wire.TypeAck, pausedID)); n != 1 {
			t.Fatalf("%d acks 2 s after the pause, want 1 (no new registration yet)", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		acks := pc.f.messages(wire.TypeAck, pausedID)
		if len(acks) != 2 {
			t.Fatalf("%d acks, want 2: the worker did not register again", len(acks))
		}
		if d := acks[1].at.Sub(woke); d < 3*time.Second || d > 4*time.Second {
			t.Errorf("registered again %v after waking, want 3–4 s", d)
		}
		if pc.logs.count("stopping the users and registering again") != 1 ||
			pc.logs.count("registered with the master again", `index="0"`) != 1 {
			t.Error("the new registration was not logged")
		}
		if pc.local.stops.Load() != 1 {
			t.Errorf("the users stopped %d times, want once before registering again", pc.local.stops.Load())
		}
		// The master rebalances onto the worker it knows again, which
		// carries on: heartbeats answered, no timeout.
		if got := pc.local.users(); got != 3 {
			t.Errorf("%d users after registering again, want 3", got)
		}
		time.Sleep(2 * time.Minute)
		pc.running(t)
		if s := stateOf(pc.m, pausedID); s != wire.StateRunning {
			t.Errorf("the worker is %q for its master, want running", s)
		}
		if n := len(pc.f.messages(wire.TypeAck, pausedID)); n != 2 {
			t.Errorf("%d acks, want 2", n)
		}
	})
}

// TestWorkerShortPauseHeals: after a 10 s pause the master marked the
// worker missing but still knows it: the worker's heartbeats heal it, and
// it does not register again nor stop its users.
func TestWorkerShortPauseHeals(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		pc := startPausedCluster(t)
		pc.c.freeze()
		time.Sleep(10 * time.Second)
		if s := stateOf(pc.m, pausedID); s != "missing" {
			t.Fatalf("the paused worker is %q for its master, want missing", s)
		}
		pc.c.thaw()
		time.Sleep(time.Minute)
		pc.running(t)
		if pc.logs.count("this worker did not run for a while") != 1 {
			t.Error("the pause was not logged")
		}
		if n := len(pc.f.messages(wire.TypeAck, pausedID)); n != 1 || pc.logs.count("registering again") != 0 {
			t.Errorf("%d acks, want 1: the worker registered again", n)
		}
		if s := stateOf(pc.m, pausedID); s != wire.StateRunning || pc.local.stops.Load() != 0 || pc.local.users() != 3 {
			t.Errorf("worker %q for its master with %d users, stopped %d times; want running with 3, never stopped",
				s, pc.local.users(), pc.local.stops.Load())
		}
	})
}

// TestWorkerLeavesSilentMaster: a master that falls silent while the
// worker runs is still gone after MasterTimeout, as before: the silence
// is logged after three heartbeats, the users stop, and RunWorker ends
// with ErrMasterGone within a heartbeat after the timeout.
func TestWorkerLeavesSilentMaster(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		pc := startPausedCluster(t)
		pc.c.cutOff()
		beats := pc.f.messages(wire.TypeHeartbeat, pausedID)
		last := beats[len(beats)-1].at
		var err error
		select {
		case err = <-pc.errc:
			pc.errc <- nil
		case <-time.After(5 * time.Minute):
			t.Fatal("the worker did not leave its silent master")
		}
		d := time.Since(last)
		if !errors.Is(err, ErrMasterGone) {
			t.Errorf("the worker ended with %v, want ErrMasterGone", err)
		}
		if d <= time.Minute || d > time.Minute+time.Second {
			t.Errorf("the worker left %v after the master's last heartbeat, want within a second after 1m0s", d)
		}
		if pc.logs.count("no heartbeat from the master", `for="3s"`, `leaving_after="1m0s"`) != 1 {
			t.Error("the silence was not logged once after 3 s")
		}
		if pc.logs.count("registering again") != 0 || pc.logs.count("did not run") != 0 {
			t.Error("a silent master was taken for a pause")
		}
		if pc.local.stops.Load() == 0 || pc.local.users() != 0 {
			t.Error("the worker left its users running")
		}
	})
}

// TestWorkerBusyLoopIsNoPause: a stop whose users take 70 s to finish
// holds up the worker's message loop, while its heartbeats go on and the
// master's answers queue up. The loop's late timer is neither a pause
// (nothing logged, no new registration) nor the master's silence.
func TestWorkerBusyLoopIsNoPause(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		pc := startPausedCluster(t)
		gate := make(chan struct{})
		pc.local.mu.Lock()
		pc.local.stopGate = gate
		pc.local.mu.Unlock()
		stopped := make(chan int, 1)
		go func() { stopped <- pc.m.Stop(5 * time.Minute) }()
		time.Sleep(70 * time.Second)
		if s := stateOf(pc.m, pausedID); s == "missing" || s == "" {
			t.Errorf("the stopping worker is %q for its master", s)
		}
		close(gate)
		if left := <-stopped; left != 0 {
			t.Errorf("%d users left after the stop", left)
		}
		time.Sleep(10 * time.Second)
		pc.running(t)
		if pc.logs.count("did not run") != 0 || pc.logs.count("registering again") != 0 {
			t.Error("a held-up message loop was taken for a pause")
		}
	})
}
