// Package control runs a load test's life: it starts tests, ramps them,
// follows load shapes and arrival-rate schedules, evaluates thresholds,
// stops them for every reason a test ends, and writes the final reports.
// Its drivers are the command line (headless), the web UI, a master's
// workers and a worker's master.
//
// A Controller owns one process's tests. Every change of a test's state
// happens on one goroutine, the controller's life loop (life.go); the
// drivers, the web UI and the engines send it commands and events, and
// read what it publishes under a small lock. The users themselves run in
// a Local, which the root package implements; this package never imports
// it.
package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
	"github.com/herdload/herd/internal/web"
)

// Exit codes of a run.
const (
	ExitOK        = 0
	ExitFailures  = 1 // the default of --exit-code-on-error
	ExitConfig    = 2 // invalid options or test definition: nothing ran
	ExitInternal  = 3 // the run could not start, or its reports could not be written
	ExitThreshold = 4 // a --threshold failed
)

// Options are what a Controller needs: the resolved configuration, the
// test's user types, and the hooks into the code that runs users.
type Options struct {
	Config config.Config
	Log    *slog.Logger
	Prog   string    // the program's name, for --processes and reports
	Stdout io.Writer // tables and JSON
	Stderr io.Writer // logs and the table when stdout carries JSON
	// Stdin, when it is a terminal, changes a headless run's user count
	// with keys (w/W add 1/10 users, s/S remove 1/10).
	Stdin io.Reader
	// Args is the command line; --processes workers get it without the
	// master's own options.
	Args []string
	// Exec starts this program again (--processes): the executable and
	// any leading arguments. Empty means the running executable.
	Exec []string

	// Types are every user type of the test that has tasks to run; nil
	// for a master without the test's code (it learns them from workers).
	Types []Type
	// Picked are the names of the types picked on the command line, or
	// nil for all of them.
	Picked []string
	// NewLocal creates the users of one test on this process.
	NewLocal func(LocalSpec) (Local, error)
	// Capacity checks that counts[type] users fit this process (memory,
	// open files) before they start: an error refuses them, a warning is
	// logged. Nil accepts every count.
	Capacity func(counts map[string]int) (warning string, err error)
	// TaskRatio is the task ratio of types (names), weighted by the users
	// running of each type (counts; nil: one cycle of the weights).
	TaskRatio func(types []string, counts map[string]int) report.TaskRatio

	// Shape drives the user count when set (the test's own); --shape
	// takes precedence. ShapeName is how logs and the UI name it.
	Shape     Shape
	ShapeName string
	// FallbackHost, when set, starts a target for HTTP user types that
	// have no host (no -H and no type's own): herd's demo shop, say. It
	// returns the target's base URL and how to stop it.
	FallbackHost func() (url string, stop func() error, err error)
	// WebUI is the test's own routes and tabs of the web UI, served by a
	// process with a UI (a master, or one on its own).
	WebUI web.Extension

	Hooks Hooks
}

// Hooks are the test's event listeners as the orchestration calls them.
// Every field may be nil.
type Hooks struct {
	// Init runs once, after the options are resolved and before any test:
	// on a worker after it registered with its master (its index known).
	// An error aborts the process (exit code 3).
	Init func(info RunInfo) error
	// TestStart runs before a test's first user; an error refuses the
	// start. It runs on the life loop, so it must not wait for the
	// controller (a Swarm or Stop from it would never return). TestStop
	// runs after the test's users stopped, on the stop's goroutine.
	TestStart func() error
	TestStop  func()
	// TestStopping runs when a test begins to stop, before its users are
	// told to (Locust's test_stopping), on the stop's goroutine; on a
	// master before its workers are told, on a worker before its users.
	TestStopping func()
	// ResetStats runs when the web UI resets the statistics, just before
	// they are (Locust's reset_stats), on the web request's goroutine.
	ResetStats func()
	// CPUWarning runs while this process's CPU use is above 90% of its
	// cores, at most every 5 s (Locust's cpu_warning), with the use in
	// percent, on a goroutine of the controller's that runs listeners in
	// order (never the life loop's).
	CPUWarning func(percent float64)
	// WorkerChange runs on a master when a worker connects, goes missing,
	// comes back or leaves (workerwatch.go), off the life loop.
	WorkerChange func(change WorkerChange)
	// SpawningComplete runs each time a test's user count reaches its
	// target: on this process, on a worker for each spawn it confirmed to
	// its master (with the users running), on a master when every worker
	// reported its share.
	SpawningComplete func(users int)
	// Quitting runs last, with the final statistics, and returns the exit
	// code (it may change code).
	Quitting func(final *stats.Snapshot, code int) int

	// Registered runs on a worker once its master accepted it, before
	// Init: index is the worker's index and send sends custom messages to
	// the master.
	Registered func(index int, send func(typ string, data any) error)
	// MasterStarted runs on a master once it listens: send sends custom
	// messages to one worker (to is its id) or all (to is "").
	MasterStarted func(send func(typ string, data any, to string) error)
	// Message receives a custom message (from is the worker's id on a
	// master, "" on a worker).
	Message func(from, typ string, data any)
	// ReportExtra adds custom keys to each report a worker sends.
	ReportExtra func() map[string]any
	// WorkerReport receives on a master the custom keys of each report.
	WorkerReport func(worker string, extra map[string]any)
	// ParsedOptions gives a master's spawns their parsed_options; Options
	// receives them on a worker, before the spawn's users start.
	ParsedOptions func() map[string]any
	Options       func(map[string]any)
	// UIOptions lists the test's own options with their values for the
	// web UI's start form; SetOptions sets those a /swarm gave, before
	// its test starts (so a master's spawns carry them).
	UIOptions  func() []web.CustomOption
	SetOptions func(map[string]any)
}

// RunInfo is the configuration a process starts with, for the Init hook.
type RunInfo struct {
	Host      string
	Users     int
	SpawnRate float64
	UserTypes []string
}

// Controller owns the tests of one process.
type Controller struct {
	opts Options
	cfg  config.Config
	log  *slog.Logger
	out  io.Writer // where tables go: stderr when stdout carries JSON

	// Read-only once the controller is open.
	types      []Type // every runnable type
	picked     []Type // the types named on the command line (or all)
	shape      Shape  // drives every test's user count, or nil
	shapeName  string
	thresholds []threshold.Threshold
	open       *openPlan // the open model's plan, nil in the closed model
	csv        *report.CSVFiles
	master     *cluster.Master
	hosts      *hosts
	processes  *processes
	tel        telemetry // /metrics, OTLP, --jsonl (metrics.go)

	cmds     chan command  // run by the life loop, in order
	events   chan event    // from engines and stops, to the life loop
	stopLife chan struct{} // closed to end the life loop
	lifeDone chan struct{} // closed when the life loop returned
	quit     chan End      // asks the driver to end the process
	wg       sync.WaitGroup

	mu       sync.Mutex // guards what the life loop publishes, below
	state    State
	run      *testRun // the current or last test, nil before the first
	next     *testRun // the test being started: its TestStart hook, then its users
	cpuShare float64
	cpuKnown bool // cpuShare could be measured
	cpuHot   bool
	workers  []cluster.WorkerInfo // a master's workers when the last test stopped
	// inHook is set while the life loop runs user code (a TestStart
	// hook): commands from the runner handle are then queued in pending
	// and run once the loop is free, instead of waiting for it forever.
	inHook  bool
	pending []func() error
	// final is the last test's final statistics and end, once Run
	// returned (finish, or a worker's end).
	final    *stats.Snapshot
	finalEnd End

	lifeStarted atomic.Bool                                  // the life loop runs (commands can be answered)
	notes       notifier                                     // runs listeners off the life loop, in order
	worker      *workerLocal                                 // a worker's users, nil elsewhere
	cpuSample   func(now time.Time) (share float64, ok bool) // tests fake it; nil: the process's meter
}

// New prepares a Controller for opts. It starts nothing: Run does.
func New(opts Options) (*Controller, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	cfg := opts.Config
	c := &Controller{
		opts: opts, cfg: cfg, log: opts.Log, out: opts.Stdout,
		types:     opts.Types,
		shape:     opts.Shape,
		shapeName: opts.ShapeName,
		cmds:      make(chan command),
		events:    make(chan event, 16),
		stopLife:  make(chan struct{}),
		lifeDone:  make(chan struct{}),
		quit:      make(chan End, 1),
		hosts:     &hosts{fallback: opts.FallbackHost, log: opts.Log},
	}
	if cfg.JSON {
		c.out = opts.Stderr
	}
	c.picked = c.types
	if len(opts.Picked) > 0 {
		c.picked = nil
		for _, name := range opts.Picked {
			t, ok := c.typeNamed(name)
			if !ok {
				return nil, fmt.Errorf("unknown user type %q", name)
			}
			c.picked = append(c.picked, t)
		}
	}
	c.shape, c.shapeName = pickShape(cfg, opts.Shape, opts.ShapeName)
	c.thresholds = cfg.Thresholds
	c.open = newOpenPlan(cfg)
	return c, nil
}

func (c *Controller) typeNamed(name string) (Type, bool) {
	for _, t := range c.types {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

func typeNames(types []Type) []string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return names
}

// Run runs the process's part of the test until it ends: a worker until
// its master lets it go, a headless run until its test ends, the web UI
// until it is interrupted or --autoquit fires. It returns the exit code,
// and an error when the run could not start or its reports could not be
// written. Cancelling ctx stops the test gracefully: reports are still
// written.
func (c *Controller) Run(ctx context.Context) (int, error) {
	if c.cfg.Worker {
		return c.runWorker(ctx)
	}
	if code, err := c.openProcess(ctx); err != nil {
		c.closeProcess()
		c.closeTelemetry()
		if c.csv != nil {
			c.csv.Close()
		}
		return code, err
	}
	c.lifeStarted.Store(true)
	c.wg.Go(func() { c.life() })
	c.wg.Go(func() { c.notes.run(c.stopLife) })
	var code int
	var err error
	if c.cfg.Headless {
		code, err = c.headless(ctx)
	} else {
		code, err = c.withUI(ctx)
	}
	c.shutdown()
	c.closeProcess() // every goroutine of the process is joined: nothing changes the statistics now
	if err != nil {
		return code, err
	}
	return c.finish()
}

var (
	// errListener marks a start refused by a TestStart hook.
	errListener = errors.New("test start listener failed")
	// errInit marks a process stopped by an Init hook.
	errInit = errors.New("init listener failed")
)

// openProcess prepares what every mode needs before a test: the CSV
// files, a fallback target known before the first test (so the start form
// shows it), the master's socket and --processes workers, and Init.
func (c *Controller) openProcess(ctx context.Context) (int, error) {
	if c.cfg.CSVPrefix != "" {
		var err error
		if c.csv, err = report.OpenCSV(c.cfg.CSVPrefix, c.cfg.CSVFullHistory, c.open != nil); err != nil {
			return ExitConfig, fmt.Errorf("--csv: %w", err)
		}
	}
	distributed := c.cfg.Master || c.cfg.Processes != 0
	if c.cfg.Host == "" && !distributed && c.hosts.needFallback(c.types) {
		if _, err := c.hosts.fallbackURL(); err != nil {
			return ExitInternal, err
		}
	}
	if distributed {
		if err := c.startMaster(); err != nil {
			return ExitConfig, err
		}
		if c.cfg.Processes != 0 {
			p, err := startProcesses(c.opts, c.master.Port(), c.processCount(), c.log)
			if err != nil {
				return ExitInternal, err
			}
			c.processes = p
		}
	}
	if err := c.openTelemetry(ctx); err != nil {
		return ExitConfig, err
	}
	if c.opts.Hooks.Init != nil {
		info := RunInfo{Host: c.cfg.Host, Users: c.cfg.Users, SpawnRate: c.cfg.SpawnRate, UserTypes: typeNames(c.picked)}
		if err := c.opts.Hooks.Init(info); err != nil {
			return ExitInternal, fmt.Errorf("%w: %w", errInit, err)
		}
	}
	return 0, nil
}

// closeProcess lets go of what openProcess took, waiting for each: the
// master and its goroutines, --processes workers, the fallback target.
// The CSV files stay open for finish (which closes them).
func (c *Controller) closeProcess() {
	if c.master != nil {
		c.master.Close()
	}
	if c.processes != nil {
		c.processes.wait()
	}
	c.hosts.close()
}

// shutdown stops the current test if one runs, waits until it stopped,
// tells a master's workers to quit (their last reports arrive meanwhile),
// then ends the life loop and joins every goroutine the controller
// started, so the final reports see everything.
func (c *Controller) shutdown() {
	if run := c.current(); run != nil {
		c.endTest(End{Reason: Interrupted})
		<-run.done
	}
	c.quitWorkers()
	close(c.stopLife)
	c.wg.Wait()
}

// current is the current or last test, nil before the first.
func (c *Controller) current() *testRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.run
}

// State is the current test's state.
func (c *Controller) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// stopGrace is how long, past the stop timeout, stopping waits for user
// code that ignores its context before reporting without it.
const stopGrace = 5 * time.Second

// writeAtomic writes a report file in full or not at all: into a
// temporary file beside it, renamed into place once complete.
func writeAtomic(path string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".herd-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
