package herd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/cpu"
	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
	"github.com/herdload/herd/internal/web"
)

// controller owns the tests of one process: the current (or last) test's
// runner, statistics and history, the CSV files, the console, and the
// once-a-second tick. Headless mode starts one test and waits for its end;
// with the web UI, the UI starts, changes and stops tests through the
// web.Controller methods.
type controller struct {
	test   *Test
	cfg    config.Config
	env    Env
	log    *slog.Logger
	all    []*userType // every runnable type, for the class picker
	picked []*userType // the types named on the command line (or all)
	out    io.Writer   // where tables go: stderr when stdout carries JSON

	csv    *report.CSVFiles
	master *cluster.Master // set in --master mode
	// stopProcesses waits for (or kills) the --processes workers.
	stopProcesses func()
	thresholds    []threshold.Threshold // --threshold, parsed
	shape         LoadShape             // drives every test's user count, or nil
	shapeName     string                // how the logs name it
	node          *Node                 // this process's role, for NodeFrom
	finalWorkers  []cluster.WorkerInfo  // a master's workers when the test ended, for the summary
	demoURL       string                // the demo shop, once started
	stopDemo      func()

	// quit ends the process: a task returned ErrStopTest, or a headless
	// run reached its end. It carries the reason.
	quit     chan string
	quitOnce sync.Once

	swarmMu sync.Mutex // serialises starting, changing and stopping tests

	mu       sync.Mutex // guards everything below
	state    string
	run      *testRun // the current or last test, nil before the first
	cpuShare float64
	cpuHot   bool
}

// testRun is one test from start to stop.
type testRun struct {
	types    []*userType // with hosts resolved
	host     string
	runner   engine
	stats    *stats.Stats
	history  []stats.HistoryRow // the total's rows, oldest first
	target   int
	rate     float64
	runTime  time.Duration
	started  time.Time
	deadline time.Time // zero: none
	stopped  time.Time
	th       *thresholdRun // nil without --threshold
	// shape drives the user count when set; lastShape is what it asked
	// for last.
	shape     LoadShape
	lastShape ShapeTick
	// finalUsers is the user count when the stop began, for the summary.
	finalUsers int
	done       chan struct{} // closed when every user has stopped
}

func newController(t *Test, cfg config.Config, env Env, log *slog.Logger, all, picked []*userType) *controller {
	c := &controller{
		test: t, cfg: cfg, env: env, log: log, all: all, picked: picked,
		out: env.Stdout, quit: make(chan string, 1), state: web.StateReady, stopDemo: func() {},
		stopProcesses: func() {},
	}
	if cfg.JSON {
		c.out = env.Stderr
	}
	c.shape = t.Shape
	if t.Shape != nil {
		c.shapeName = fmt.Sprintf("%T", t.Shape)
	}
	if cfg.Shape != "" {
		if s, err := shape.Parse(cfg.Shape); err == nil { // validated by config.Load
			c.shape, c.shapeName = builtinShape{s}, cfg.Shape
		}
	}
	c.thresholds, _ = threshold.ParseAll(cfg.Thresholds) // validated by config.Load
	c.node = &Node{role: Standalone}
	switch {
	case cfg.Worker:
		c.node.role = Worker
	case cfg.Master || cfg.Processes != 0:
		c.node.role = Master
	}
	return c
}

func (c *controller) requestQuit(reason string) {
	c.quitOnce.Do(func() { c.quit <- reason })
}

// open prepares what every mode needs before a test: the CSV files and the
// init listeners. It returns an exit code, or -1 to go on.
func (c *controller) open(ctx context.Context) int {
	if c.cfg.CSVPrefix != "" {
		var err error
		if c.csv, err = report.OpenCSV(c.cfg.CSVPrefix, c.cfg.CSVFullHistory, c.cfg.ArrivalRate != ""); err != nil {
			fmt.Fprintf(c.env.Stderr, "%s: --csv: %v\n", c.env.Prog, err)
			return ExitConfig
		}
	}
	if c.test.DemoTarget && c.cfg.Host == "" && !c.cfg.Master && c.cfg.Processes == 0 && slices.ContainsFunc(c.all, func(ut *userType) bool { return ut.http && ut.host == "" }) {
		// Known before the first test, so the start form shows it.
		if err := c.startDemo(); err != nil {
			fmt.Fprintf(c.env.Stderr, "%s: %v\n", c.env.Prog, err)
			return ExitInternal
		}
	}
	if c.cfg.Master || c.cfg.Processes != 0 {
		if err := c.startMaster(ctx); err != nil {
			fmt.Fprintf(c.env.Stderr, "%s: %v\n", c.env.Prog, err)
			return ExitConfig
		}
		if c.cfg.Processes != 0 {
			stop, err := c.startProcesses()
			if err != nil {
				fmt.Fprintf(c.env.Stderr, "%s: %v\n", c.env.Prog, err)
				return ExitInternal
			}
			c.stopProcesses = stop
		}
	}
	info := &RunInfo{Host: c.cfg.Host, Users: c.cfg.Users, SpawnRate: c.cfg.SpawnRate, UserTypes: typeList(c.picked)}
	ctx = withNode(ctx, c.node)
	for _, fn := range c.test.Events.init {
		if err := fn(ctx, info); err != nil {
			c.log.Error("init listener failed: not starting", "err", err)
			return ExitInternal
		}
	}
	return -1
}

func (c *controller) close() {
	c.closeMaster()
	c.stopProcesses()
	c.stopDemo()
	if c.csv != nil {
		c.csv.Close()
	}
}

func typeList(types []*userType) []string {
	names := make([]string, len(types))
	for i, ut := range types {
		names[i] = ut.Name
	}
	return names
}

// start begins a new test. Only one test runs at a time.
func (c *controller) start(ctx context.Context, req web.SwarmRequest) error {
	types := c.picked
	var only []string // a master's class selection, nil for every class
	if c.master != nil && len(c.all) == 0 && len(req.UserClasses) > 0 {
		// A master without the test's code: its workers' classes.
		for _, name := range req.UserClasses {
			if !slices.ContainsFunc(c.master.Classes(), func(cl cluster.Class) bool { return cl.Name == name }) {
				return fmt.Errorf("unknown user class %q", name)
			}
		}
		only = req.UserClasses
	} else if len(req.UserClasses) > 0 {
		types = nil
		for _, name := range req.UserClasses {
			i := slices.IndexFunc(c.all, func(ut *userType) bool { return ut.Name == name })
			if i < 0 {
				return fmt.Errorf("unknown user class %q", name)
			}
			types = append(types, c.all[i])
		}
	}
	host := req.Host
	if host == "" {
		host = c.cfg.Host
	}
	runTypes := types
	if c.master != nil && c.master.ActiveWorkers() == 0 {
		return errors.New("no worker is connected: start workers with --worker --master-host <this host>")
	}
	if c.master != nil {
		if only == nil && len(types) < len(c.all) {
			only = typeList(types)
		}
		c.master.Restrict(only)
	}
	if c.master == nil { // workers resolve their own hosts
		var err error
		if runTypes, err = c.resolveHosts(types, host); err != nil {
			return err
		}
	}
	for _, fn := range c.test.Events.testStart {
		if err := fn(withNode(ctx, c.node)); err != nil {
			return fmt.Errorf("%w: %w", errListener, err)
		}
	}
	now := time.Now()
	st := stats.New(now, stats.Options{FullHistory: c.cfg.CSVFullHistory})
	r, err := c.newEngine(runTypes, st, host)
	if err != nil {
		return err
	}
	run := &testRun{
		types: runTypes, host: host, runner: r, stats: st, target: req.Users, rate: req.SpawnRate,
		runTime: req.RunTime, started: now, done: make(chan struct{}), shape: c.shape,
	}
	if len(c.thresholds) > 0 {
		run.th = newThresholdRun(c.thresholds, st)
	}
	if run.shape != nil {
		first, ok := run.shapeAt(0)
		if !ok {
			return errors.New("the load shape ended before the test started")
		}
		run.lastShape = first
		run.target, run.rate = first.Users, first.SpawnRate
		req.Users, req.SpawnRate = run.target, run.rate
		c.restrictTypes(r, first.UserTypes)
		c.log.Info("load shape drives the user count", "shape", c.shapeName)
	}
	if req.RunTime > 0 {
		run.deadline = now.Add(req.RunTime)
		c.log.Info("run time limit set", "run_time", req.RunTime)
	}
	c.mu.Lock()
	c.run = run
	c.state = web.StateSpawning
	c.mu.Unlock()
	if c.cfg.ArrivalRate != "" {
		if err := c.startOpen(run, req.Users); err != nil {
			return err
		}
	} else {
		c.log.Info("ramping users", "users", req.Users, "spawn_rate", req.SpawnRate, "host", host)
		r.start(req.Users, req.SpawnRate, func(n int) { c.spawned(run, n) })
	}
	go func() {
		select {
		case <-r.stopTestRequested():
			c.requestQuit("a task stopped the test")
		case <-run.done:
		}
	}()
	return nil
}

// newEngine is the local runner, or the master's workers.
func (c *controller) newEngine(types []*userType, st *stats.Stats, host string) (engine, error) {
	if c.master != nil {
		return &masterEngine{m: c.master, host: host, stopTimeout: c.cfg.StopTimeout,
			onError: func(err error) { c.log.Error("cannot start the test", "err", err) }}, nil
	}
	return newRunner(types, st, &c.test.Events, c.log, runnerOptions{
		stopTimeout:    c.cfg.StopTimeout,
		requestTimeout: c.cfg.RequestTimeout,
		tags:           c.cfg.Tags,
		exclude:        c.cfg.ExcludeTags,
		node:           c.node,
	})
}

// spawned runs when a ramp of run reaches its target.
func (c *controller) spawned(run *testRun, n int) {
	c.mu.Lock()
	if c.run != run || c.state != web.StateSpawning {
		c.mu.Unlock()
		return
	}
	c.state = web.StateRunning
	c.mu.Unlock()
	c.log.Info("all users spawned", "users", n, "per_type", run.runner.countsByType())
	if c.cfg.ResetStats {
		c.log.Info("resetting stats (--reset-stats)")
		c.ResetStats()
	}
}

// change sets a running test's user count, spawn rate and run time.
func (c *controller) change(run *testRun, req web.SwarmRequest) {
	c.mu.Lock()
	run.target, run.rate = req.Users, req.SpawnRate
	if req.RunTime > 0 {
		run.runTime = req.RunTime
		run.deadline = time.Now().Add(req.RunTime)
	}
	c.state = web.StateSpawning
	c.mu.Unlock()
	c.log.Info("changing the user count", "users", req.Users, "spawn_rate", req.SpawnRate)
	run.runner.start(req.Users, req.SpawnRate, func(n int) { c.spawned(run, n) })
}

// stop stops the current test and waits until its users stopped; the
// statistics are ticked a last time and kept.
func (c *controller) stop(reason string) {
	c.mu.Lock()
	run := c.run
	if run == nil || (c.state != web.StateSpawning && c.state != web.StateRunning) {
		c.mu.Unlock()
		if run != nil {
			<-run.done
		}
		return
	}
	c.state = web.StateStopping
	run.finalUsers = run.runner.userCount()
	c.mu.Unlock()
	if c.master != nil {
		ws := c.master.Workers() // as the test ran, for the summary
		c.mu.Lock()
		c.finalWorkers = ws
		c.mu.Unlock()
	}

	c.log.Info("stopping", "reason", reason, "users", run.finalUsers)
	if left := run.runner.stop(stopGrace); left > 0 {
		c.log.Warn("some users did not stop (their code ignores its context); reporting without them", "users", left)
	}
	for _, fn := range c.test.Events.testStop {
		fn(withNode(context.Background(), c.node))
	}
	end := time.Now()
	c.tick(run, end, run.finalUsers)
	c.mu.Lock()
	run.stopped = end
	c.state = web.StateStopped
	c.mu.Unlock()
	close(run.done)
}

// loop ticks the statistics every second until ctx ends: history, CSV,
// console, run-time limit, CPU warning.
func (c *controller) loop(ctx context.Context, console bool) {
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	meter := cpu.NewMeter(time.Now())
	var lastWarn, lastConsole time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		c.mu.Lock()
		run, state := c.run, c.state
		c.mu.Unlock()
		share, ok := meter.Sample(now)
		hot := ok && share > cpuWarnAt
		c.mu.Lock()
		c.cpuShare, c.cpuHot = share, hot
		c.mu.Unlock()
		if run == nil || (state != web.StateSpawning && state != web.StateRunning) {
			continue
		}
		users := run.runner.userCount()
		c.tick(run, now, users)
		c.followShape(run, now)
		if hot && now.Sub(lastWarn) > time.Minute {
			lastWarn = now
			c.log.Warn(fmt.Sprintf("herd's own CPU use is %.0f%% of its %d cores: it may be the bottleneck and its response times are suspect; spread the load over more processes or machines",
				share*100, meter.Cores()))
		}
		if console && now.Sub(lastConsole) >= consoleEvery-tickEvery/2 {
			lastConsole = now
			report.WriteStats(c.out, run.stats.Snapshot(now, users), true)
			if run.th != nil {
				report.WriteThresholds(c.out, run.th.results())
			}
			fmt.Fprintln(c.out)
		}
		if !run.deadline.IsZero() && !now.Before(run.deadline) {
			c.mu.Lock()
			expired := c.run == run && !run.deadline.IsZero()
			run.deadline = time.Time{}
			c.mu.Unlock()
			if expired {
				go c.endTest(run, "run time limit reached")
			}
		}
	}
}

// tick closes one second of run's statistics and updates the CSV files.
func (c *controller) tick(run *testRun, now time.Time, users int) {
	rows := run.stats.Tick(now, users)
	c.checkThresholds(run, now)
	c.mu.Lock()
	run.history = append(run.history, rows[len(rows)-1])
	c.mu.Unlock()
	if c.csv == nil {
		return
	}
	if err := c.csv.AppendHistory(rows); err != nil {
		c.log.Error("writing CSV history", "err", err)
	}
	if err := c.csv.Update(run.stats.Snapshot(now, users)); err != nil {
		c.log.Error("writing CSV", "err", err)
	}
}

// finish writes the final reports of the last test and computes the exit
// code.
func (c *controller) finish() int {
	c.mu.Lock()
	run := c.run
	c.mu.Unlock()
	var snap *stats.Snapshot
	var history []stats.HistoryRow
	if run != nil {
		snap = run.stats.Snapshot(run.stopped, run.finalUsers)
		history = c.History()
	} else {
		snap = stats.New(time.Now(), stats.Options{}).Snapshot(time.Now(), 0)
	}
	report.WriteSummary(c.out, snap)
	c.writeWorkers(c.out)
	var verdicts []threshold.Result
	if run != nil && run.th != nil {
		verdicts = run.th.final()
		fmt.Fprintln(c.out)
		report.WriteThresholds(c.out, verdicts)
	}

	code := ExitOK
	if snap.Total.Failures > 0 || len(snap.Errors) > 0 {
		code = c.cfg.ExitCodeOnError
	}
	if !threshold.Passed(verdicts) {
		code = ExitThreshold
	}
	var failed []error
	if c.csv != nil {
		if err := c.csv.Close(); err != nil {
			failed = append(failed, err)
		}
	}
	if c.cfg.JSON {
		if err := report.WriteRunJSON(c.env.Stdout, snap, history, verdicts); err != nil {
			failed = append(failed, fmt.Errorf("--json: %w", err))
		}
	}
	if c.cfg.JSONFile != "" {
		if err := writeFile(c.cfg.JSONFile, func(w io.Writer) error { return report.WriteRunJSON(w, snap, history, verdicts) }); err != nil {
			failed = append(failed, fmt.Errorf("--json-file: %w", err))
		}
	}
	if c.cfg.JUnitFile != "" {
		err := writeFile(c.cfg.JUnitFile, func(w io.Writer) error {
			return threshold.WriteJUnit(w, c.env.Prog+" thresholds", verdicts, snap.Duration)
		})
		if err != nil {
			failed = append(failed, fmt.Errorf("--junit: %w", err))
		}
	}
	if c.cfg.HTMLFile != "" {
		err := writeFile(c.cfg.HTMLFile, func(w io.Writer) error {
			return web.WriteHTMLReport(w, web.ReportFromController(c))
		})
		if err != nil {
			failed = append(failed, fmt.Errorf("--html: %w", err))
		}
	}
	if len(failed) > 0 {
		c.log.Error("writing reports failed", "err", errors.Join(failed...))
		code = ExitInternal
	}
	q := &Quit{Stats: newStatsSnapshot(snap), ExitCode: code}
	for _, fn := range c.test.Events.quitting {
		fn(q)
	}
	c.log.Info("shutting down", "exit_code", q.ExitCode)
	return q.ExitCode
}

// startDemo serves the built-in demo shop on loopback, once.
func (c *controller) startDemo() error {
	c.mu.Lock()
	started := c.demoURL != ""
	c.mu.Unlock()
	if started {
		return nil
	}
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		return fmt.Errorf("starting the demo target: %w", err)
	}
	c.mu.Lock()
	c.demoURL = srv.URL
	c.mu.Unlock()
	c.stopDemo = func() { srv.Close() }
	c.log.Info("no host given: testing herd's built-in demo shop", "host", srv.URL)
	return nil
}

// resolveHosts gives each type its base URL for one test: host (from -H or
// the start form) wins, then the type's own Host, then, with DemoTarget,
// the built-in demo shop. An HTTP type left without a host is an error.
func (c *controller) resolveHosts(types []*userType, host string) ([]*userType, error) {
	out, missing, err := c.hostsFor(types, host)
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("no host for user type %s: pass -H/--host http://… or set UserType.Host", strings.Join(missing, ", "))
	}
	return out, err
}

// hostsFor resolves hosts as resolveHosts does, but returns the HTTP types
// left without one instead of failing: a worker only needs hosts for the
// types its master gives it users of.
func (c *controller) hostsFor(types []*userType, host string) (out []*userType, missing []string, err error) {
	out = make([]*userType, len(types))
	for i, ut := range types {
		cp := *ut
		if host != "" {
			cp.host = host
		}
		if cp.host == "" && cp.http {
			missing = append(missing, cp.Name)
		}
		out[i] = &cp
	}
	if len(missing) == 0 || !c.test.DemoTarget {
		return out, missing, nil
	}
	if err := c.startDemo(); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	demoURL := c.demoURL
	c.mu.Unlock()
	for _, ut := range out {
		if ut.host == "" {
			ut.host = demoURL
		}
	}
	return out, nil, nil
}
