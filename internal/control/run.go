package control

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// testRun is one test from its start to its stop. The life loop writes
// its fields; those the web UI reads are written under the controller's
// lock.
type testRun struct {
	types    []Type // the types it runs, hosts resolved
	host     string
	eng      engine
	stats    *stats.Stats
	history  []stats.HistoryRow // the total's rows, oldest first
	target   int
	rate     float64
	runTime  time.Duration
	started  time.Time
	deadline time.Time // zero: none
	stopped  time.Time
	end      End
	th       *thresholdRun // nil without --threshold
	// ramps counts the ramps asked of the engine; a ramp's "target
	// reached" is only news while it is the latest.
	ramps int
	// shape drives the user count when set; lastShape is what it asked
	// for last.
	shape     Shape
	lastShape ShapeTick
	shapeBase time.Time // its time counts from here: the start, or its last ResetTime
	// finalUsers is the user count when the stop began, for the summary.
	finalUsers int
	// late is set when a worker's report arrived after the stop.
	late atomic.Bool
	done chan struct{} // closed when every user has stopped
}

// Start is a request to start a test, or to change the running one: the
// command line's options, or the web UI's start form.
type Start struct {
	Users     int
	SpawnRate float64
	Host      string        // "" keeps the configured host
	RunTime   time.Duration // 0: until stopped (a change keeps the deadline)
	// UserClasses are the types to run; empty runs the picked ones.
	UserClasses []string
}

// Swarm starts a test, or changes the running one.
func (c *Controller) Swarm(req Start) error {
	return c.do(func() error {
		switch c.state {
		case Spawning, Running:
			return c.change(c.run, req)
		case Stopping:
			return errors.New("the test is stopping: start a new one when it has stopped")
		}
		return c.start(req)
	})
}

// endTest stops the running test (if any) for e, in the background.
func (c *Controller) endTest(e End) {
	c.do(func() error {
		c.beginStop(c.run, e)
		return nil
	})
}

// Stop stops the running test in the background, as the web UI's Stop.
func (c *Controller) Stop() { c.endTest(End{Reason: StoppedFromUI}) }

// setNext sets the test being started.
func (c *Controller) setNext(run *testRun) {
	c.mu.Lock()
	c.next = run
	c.mu.Unlock()
}

// ResetStats drops the current test's statistics and history.
func (c *Controller) ResetStats() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil {
		return
	}
	c.run.stats.Reset(time.Now())
	c.run.history = nil
}

// errNoWorkers refuses a master's start without workers.
var errNoWorkers = errors.New("no worker is connected: start workers with --worker --master-host <this host>")

// start begins a new test. On an error nothing changed: the state is
// still the previous test's.
func (c *Controller) start(req Start) error {
	types, only, err := c.typesFor(req.UserClasses)
	if err != nil {
		return err
	}
	host := cmp.Or(req.Host, c.cfg.Host)
	if c.master != nil && c.master.ActiveWorkers() == 0 {
		return errNoWorkers
	}
	if c.master == nil { // workers resolve their own hosts
		var missing []string
		if types, missing, err = c.hosts.resolve(types, host); err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("no host for user type %s: pass -H/--host http://… or set UserType.Host", strings.Join(missing, ", "))
		}
	}
	run := &testRun{types: types, host: host, target: req.Users, rate: req.SpawnRate, runTime: req.RunTime,
		shape: c.shape, done: make(chan struct{})}
	if run.shape != nil {
		first, ok := run.shapeAt(time.Now())
		if !ok {
			return errors.New("the load shape ended before the test started")
		}
		run.lastShape, run.target, run.rate = first, first.Users, first.SpawnRate
	}
	if c.master == nil { // workers check their own share
		peak := run.target
		if c.open != nil {
			peak = max(c.open.maxUsers, peak)
		}
		if err := c.checkCapacity(types, peak); err != nil {
			return err
		}
	}
	// While the hook runs, the runner handle sees the new test's target
	// and queues its commands (the loop is busy here); while its users
	// start, it sees the new test spawning.
	c.mu.Lock()
	c.next, c.inHook = run, true
	c.mu.Unlock()
	err = nil
	if c.opts.Hooks.TestStart != nil {
		err = c.opts.Hooks.TestStart()
	}
	c.mu.Lock()
	c.inHook = false
	c.mu.Unlock()
	if err != nil {
		c.setNext(nil)
		return fmt.Errorf("%w: %w", errListener, err)
	}
	if err := c.launch(run, only); err != nil {
		c.setNext(nil)
		if h := c.opts.Hooks.TestStopping; h != nil {
			h()
		}
		if c.opts.Hooks.TestStop != nil {
			c.opts.Hooks.TestStop() // it started: it stops
		}
		return err
	}
	c.mu.Lock()
	c.run, c.next = run, nil
	c.setStateLocked(Spawning)
	c.mu.Unlock()
	if c.open != nil { // the pool starts at once
		if h := c.opts.Hooks.SpawningComplete; h != nil {
			h(run.target)
		}
		c.spawned(run, run.ramps, run.target)
	}
	return nil
}

// launch gives run its statistics and engine and starts its users.
func (c *Controller) launch(run *testRun, only []string) error {
	run.started = time.Now()
	run.stats = stats.New(run.started, stats.Options{FullHistory: c.fullHistory(),
		MaxNames: c.cfg.MaxNames, OnOverflow: c.warnNamesOverflow})
	eng, err := c.newEngine(run)
	if err != nil {
		return err
	}
	c.mu.Lock() // the runner handle reads it as the users start
	run.eng = eng
	c.mu.Unlock()
	if len(c.thresholds) > 0 {
		run.th = newThresholdRun(c.thresholds, run.stats)
	}
	if run.runTime > 0 {
		run.deadline = run.started.Add(run.runTime)
	}
	if c.open != nil {
		err = c.startOpen(run)
	} else {
		if run.shape != nil {
			only = run.lastShape.UserTypes
			c.log.Info("load shape drives the user count", "shape", c.shapeName)
		}
		if err = eng.restrict(only); err == nil {
			c.log.Info("ramping users", "users", run.target, "spawn_rate", run.rate, "host", cmp.Or(run.host, c.hosts.started()))
			err = c.ramp(run, run.target, run.rate)
		}
	}
	if err != nil {
		eng.stop(0)
		return err
	}
	if run.runTime > 0 {
		c.log.Info("run time limit set", "run_time", run.runTime)
	}
	return nil
}

// warnNamesOverflow says, once a test (and once more after a reset of
// its statistics), that its request names went past --max-names. It runs
// under the statistics' lock.
func (c *Controller) warnNamesOverflow() {
	limit := fmt.Sprintf("more than %d distinct request names (--max-names)", c.cfg.MaxNames)
	if c.cfg.MaxNames <= 0 {
		limit = "a worker had more distinct request names than its --max-names"
	}
	c.log.Warn(fmt.Sprintf("%s: the requests of the names past it are counted in one row, %q; give requests whose URL holds an id one name (herd.Name(\"/items/{id}\")), or raise --max-names",
		limit, stats.OverflowName))
}

// typesFor is the types a start runs (the named classes, or the picked
// ones), and the class names a master restricts its workers to (nil: all).
func (c *Controller) typesFor(classes []string) (types []Type, only []string, err error) {
	if len(classes) == 0 {
		types = c.picked
		if c.master != nil && len(c.types) > 0 && len(types) < len(c.types) {
			only = typeNames(types)
		}
		return types, only, nil
	}
	if c.master != nil && len(c.types) == 0 {
		// A master without the test's code: its workers' classes.
		known := c.master.Classes()
		for _, name := range classes {
			if !slices.ContainsFunc(known, func(k clusterClass) bool { return k.Name == name }) {
				return nil, nil, fmt.Errorf("unknown user class %q", name)
			}
		}
		return nil, slices.Clone(classes), nil
	}
	for _, name := range classes {
		t, ok := c.typeNamed(name)
		if !ok {
			return nil, nil, fmt.Errorf("unknown user class %q", name)
		}
		types = append(types, t)
	}
	if c.master != nil && len(types) < len(c.types) {
		only = typeNames(types)
	}
	return types, only, nil
}

// change sets a running test's user count, spawn rate and run time.
func (c *Controller) change(run *testRun, req Start) error {
	if c.master == nil {
		if err := c.checkCapacity(run.types, req.Users); err != nil {
			return err
		}
	}
	c.log.Info("changing the user count", "users", req.Users, "spawn_rate", req.SpawnRate)
	if err := c.ramp(run, req.Users, req.SpawnRate); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	run.target, run.rate = req.Users, req.SpawnRate
	if req.RunTime > 0 {
		run.runTime = req.RunTime
		run.deadline = time.Now().Add(req.RunTime)
	}
	if c.state == Running {
		c.setStateLocked(Spawning)
	}
	return nil
}

// ramp asks run's engine for target users at rate; reaching it is an
// event for the life loop. SpawningComplete runs on the engine's
// goroutine, as Locust fires spawning_complete on its spawning greenlet.
func (c *Controller) ramp(run *testRun, target int, rate float64) error {
	run.ramps++
	n := run.ramps
	return run.eng.ramp(target, rate, func(users int) {
		if c.opts.Hooks.SpawningComplete != nil {
			c.opts.Hooks.SpawningComplete(users)
		}
		c.post(event{run: run, kind: evSpawned, ramp: n, users: users})
	})
}

// spawned runs when ramp n of run reached its target.
func (c *Controller) spawned(run *testRun, n, users int) {
	if c.run != run || c.state != Spawning || n != run.ramps {
		return
	}
	c.mu.Lock()
	c.setStateLocked(Running)
	c.mu.Unlock()
	c.log.Info("all users spawned", "users", users, "per_type", run.eng.counts())
	if c.cfg.ResetStats {
		c.log.Info("resetting stats (--reset-stats)")
		c.ResetStats()
	}
}

// beginStop starts stopping run for e, unless it is not the running test.
// The stop itself (waiting for users, a master's final reports) runs on a
// goroutine of its own, so the life loop keeps answering; its end is an
// event.
func (c *Controller) beginStop(run *testRun, e End) {
	if run == nil || run != c.run || !c.state.Active() {
		return
	}
	users := run.eng.users()
	c.mu.Lock()
	c.setStateLocked(Stopping)
	run.end, run.finalUsers = e, users
	c.mu.Unlock()
	if c.master != nil {
		ws := c.master.Workers() // as the test ran, for the summary
		c.mu.Lock()
		c.workers = ws
		c.mu.Unlock()
	}
	if e.Reason == LastWorkerLeft {
		c.log.Warn("the last worker left: stopping the test")
	}
	if e.Failed {
		c.log.Warn("the test is stopped from code", "err", e.Detail)
	}
	c.log.Info("stopping", "reason", e.String(), "users", users)
	c.wg.Go(func() { c.stopRun(run) })
}

// stopRun stops run's users, runs the TestStop hook, closes the last
// second of statistics, and tells the life loop.
func (c *Controller) stopRun(run *testRun) {
	if h := c.opts.Hooks.TestStopping; h != nil {
		h()
	}
	if left := run.eng.stop(stopGrace); left > 0 {
		c.log.Warn("some users did not stop (their code ignores its context); reporting without them", "users", left)
	}
	if c.opts.Hooks.TestStop != nil {
		c.opts.Hooks.TestStop()
	}
	end := time.Now()
	c.tickStats(run, end, run.finalUsers)
	c.post(event{run: run, kind: evStopped, at: end})
}
