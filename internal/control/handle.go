package control

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// What the root package's runner handle (herd.Node) reads and asks. Reads
// take the controller's lock only; every change goes through the life
// loop as a command, like the web UI's, so the state machine stays the
// only way a test's state changes.

// Live is the current test as the runner handle reads it.
type Live struct {
	State  State
	Users  int            // running now
	Counts map[string]int // running now, per type (every type, 0 included)
	Target int            // the user count the test ramps to (or holds)
}

// Worker is one of a master's workers as the runner handle lists it.
type Worker struct {
	ID     string
	Index  int
	State  string // ready, spawning, running
	Users  int
	CPU    float64 // percent of its cores
	Memory int64   // bytes
}

var (
	// errNotStarted refuses a command before the life loop runs (from an
	// Init hook): there is no test to change yet.
	errNotStarted = errors.New("the run has not started yet: change its test from OnTestStart or later")
	// errNoTest refuses a change of a headless run's users once its one
	// test stopped.
	errNoTest = errors.New("no test is running")
	// errWorkerUsers refuses SetUsers on a worker.
	errWorkerUsers = errors.New("a worker runs the users its master gives it: change the user count on the master")
)

// Live reports the current test: on a worker, this worker's share of it.
// While a TestStart hook runs it reports the previous state with the new
// test's target (as Locust's target_user_count is set before test_start);
// once the hook returned and the users start, the new test spawning.
func (c *Controller) Live() Live {
	if c.cfg.Worker {
		if w := c.workerLocal(); w != nil {
			return w.live()
		}
		return Live{Counts: c.zeroCounts()}
	}
	c.mu.Lock()
	run, state := c.run, c.state
	var target int
	if run != nil {
		target = run.target
	}
	if next := c.next; next != nil {
		target = next.target
		if !c.inHook {
			run, state = next, Spawning
		}
	}
	var eng engine
	if run != nil {
		eng = run.eng
	}
	c.mu.Unlock()
	l := Live{State: state, Target: target, Counts: c.zeroCounts()}
	if eng != nil && state != Stopped {
		l.Users = eng.users()
		maps.Copy(l.Counts, eng.counts())
	}
	return l
}

// zeroCounts is every type with no user.
func (c *Controller) zeroCounts() map[string]int {
	m := make(map[string]int, len(c.types))
	for _, t := range c.types {
		m[t.Name] = 0
	}
	return m
}

// LiveStats is the current (or last) test's statistics as of the last
// second; on a worker, its own requests as of its last report.
func (c *Controller) LiveStats() *stats.Snapshot {
	if c.cfg.Worker {
		if w := c.workerLocal(); w != nil {
			return w.snapshot()
		}
		now := time.Now()
		return stats.New(now, stats.Options{Shards: 1}).Snapshot(now, 0)
	}
	return c.Snapshot()
}

// Workers lists a master's workers that get users (not those missing),
// by index; nil elsewhere.
func (c *Controller) Workers() []Worker {
	if c.master == nil {
		return nil
	}
	var out []Worker
	for _, w := range c.master.Workers() {
		if w.State == "missing" {
			continue
		}
		out = append(out, Worker{ID: w.ID, Index: w.Index, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory})
	}
	return out
}

// StopTest stops the running test from user code, as a task's ErrStopTest
// does, but with a reason: err, when not nil, is logged, printed under the
// summary and fails the run (--exit-code-on-error). On a worker, the
// worker leaves its master. Without a running test it does nothing.
func (c *Controller) StopTest(err error) {
	e := End{Reason: StoppedFromCode}
	if err != nil {
		e.Detail, e.Failed = err.Error(), true
	}
	if c.cfg.Worker {
		if w := c.workerLocal(); w != nil {
			w.leave(e)
		}
		return
	}
	if err := c.ask(func() error { c.beginStop(c.run, e); return nil }); err != nil {
		c.log.Debug("stop from code ignored", "err", err)
	}
}

// SetUsers changes the running test's user count and spawn rate from user
// code (a rate of 0 or less: at once), as the web UI's form does; with the
// web UI and no test running, it starts one. A headless run has one test:
// once it stopped, SetUsers is refused.
func (c *Controller) SetUsers(users int, rate float64) error {
	if c.cfg.Worker {
		return errWorkerUsers
	}
	if users < 0 {
		return fmt.Errorf("%d users: the count cannot be negative", users)
	}
	rate = shapeRate(rate)
	if math.IsNaN(rate) {
		return errors.New("the spawn rate is not a number")
	}
	req := Start{Users: users, SpawnRate: rate}
	return c.ask(func() error {
		switch c.state {
		case Spawning, Running:
			return c.change(c.run, req)
		case Stopping:
			return errors.New("the test is stopping: start a new one when it has stopped")
		}
		if c.cfg.Headless {
			return errNoTest
		}
		req.RunTime = c.cfg.RunTime
		return c.start(req)
	})
}

// ask runs fn on the life loop and returns its error, as do, unless the
// loop is running user code itself (a TestStart hook, which may be the
// caller): then fn is queued, runs as soon as the loop is free, and its
// error is logged.
func (c *Controller) ask(fn func() error) error {
	if !c.lifeStarted.Load() {
		return errNotStarted
	}
	c.mu.Lock()
	if c.inHook {
		c.pending = append(c.pending, fn)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.do(fn)
}

// runPending runs the commands queued while the loop ran user code.
func (c *Controller) runPending() {
	c.mu.Lock()
	p := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, fn := range p {
		if err := fn(); err != nil {
			c.log.Warn("a change asked from an OnTestStart listener failed", "err", err)
		}
	}
}

// Final is the last test's final statistics and how it ended, once Run
// returned; nil statistics when Run ended before any report.
func (c *Controller) Final() (*stats.Snapshot, End) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.final, c.finalEnd
}

func (c *Controller) workerLocal() *workerLocal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.worker
}
