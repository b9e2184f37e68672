package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/cpu"
	"github.com/herdload/herd/internal/report"
)

const (
	tickEvery    = time.Second
	consoleEvery = 2 * time.Second
	// cpuWarnAt is the share of usable cores above which numbers are suspect.
	cpuWarnAt = 0.9
	// cpuEventEvery spaces CPUWarning hooks as Locust's CPU monitor does.
	cpuEventEvery = 5 * time.Second
)

// command is work for the life loop, with where its error goes.
type command struct {
	fn    func() error
	reply chan error
}

// event is news for the life loop from an engine or a stop.
type event struct {
	run   *testRun
	kind  eventKind
	ramp  int // which ramp of run reached its target (evSpawned)
	users int
	at    time.Time // when the users stopped (evStopped)
}

type eventKind uint8

const (
	evSpawned      eventKind = iota // a ramp reached its target
	evScheduleDone                  // the arrival-rate schedule ran out
	evStopped                       // every user of run stopped
)

// errClosed is returned by commands sent once the controller shut down.
var errClosed = errors.New("the test controller has shut down")

// do runs fn on the life loop and returns its error.
func (c *Controller) do(fn func() error) error {
	cmd := command{fn: fn, reply: make(chan error, 1)}
	select {
	case c.cmds <- cmd:
	case <-c.lifeDone:
		return errClosed
	}
	return <-cmd.reply
}

// post hands ev to the life loop; it is dropped once the loop is over.
func (c *Controller) post(ev event) {
	select {
	case c.events <- ev:
	case <-c.lifeDone:
	}
}

// life is the controller's loop, the only goroutine that changes a test's
// state: it runs commands (start, change, stop), engine events (a ramp
// reached its target, a schedule ran out, a stop finished), the run-time
// deadline, an engine's own end (ErrStopTest, the last worker gone), and
// the once-a-second tick (statistics, CSV, console, CPU, shapes,
// thresholds).
func (c *Controller) life() {
	defer close(c.lifeDone)
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	deadline := time.NewTimer(time.Hour)
	defer deadline.Stop()
	var armed time.Time // the deadline the timer is set for
	autoquit := time.NewTimer(time.Hour)
	autoquit.Stop()
	defer autoquit.Stop()
	var autoquitC <-chan time.Time
	t := ticker{meter: cpu.NewMeter(time.Now())}
	for {
		run, state := c.run, c.state // only this goroutine writes them
		var deadlineC <-chan time.Time
		var endC <-chan struct{}
		var endReason Reason
		if run != nil && state.Active() {
			if !run.deadline.IsZero() {
				if !armed.Equal(run.deadline) {
					deadline.Reset(time.Until(run.deadline))
					armed = run.deadline
				}
				deadlineC = deadline.C
			}
			endC, endReason = run.eng.ended()
		}
		select {
		case <-c.stopLife:
			return
		case cmd := <-c.cmds:
			cmd.reply <- cmd.fn()
			c.runPending()
		case ev := <-c.events:
			if c.handle(ev) && !c.cfg.Headless && c.cfg.Autoquit >= 0 {
				autoquit.Reset(time.Duration(c.cfg.Autoquit) * time.Second)
				autoquitC = autoquit.C
			}
		case <-deadlineC:
			armed = time.Time{}
			c.beginStop(run, End{Reason: RunTimeReached})
		case <-endC:
			c.beginStop(run, End{Reason: endReason})
		case <-autoquitC:
			autoquitC = nil
			c.log.Info("--autoquit time reached, shutting down")
			c.requestQuit(End{Reason: run.end.Reason})
		case now := <-tick.C:
			c.tick(&t, now)
		}
	}
}

// requestQuit asks the driver to end the process, once.
func (c *Controller) requestQuit(e End) {
	select {
	case c.quit <- e:
	default:
	}
}

// handle applies an event; it reports whether a test just stopped.
func (c *Controller) handle(ev event) bool {
	if ev.run != c.run {
		return false // about an earlier test
	}
	switch ev.kind {
	case evSpawned:
		c.spawned(ev.run, ev.ramp, ev.users)
	case evScheduleDone:
		c.beginStop(ev.run, End{Reason: ScheduleFinished})
	case evStopped:
		c.mu.Lock()
		ev.run.stopped = ev.at
		c.setStateLocked(Stopped)
		c.mu.Unlock()
		close(ev.run.done)
		c.log.Info("test stopped", "reason", ev.run.end.String())
		return true
	}
	return false
}

// setStateLocked moves the test to s; c.mu is held. A move the state
// machine does not allow is a bug.
func (c *Controller) setStateLocked(s State) {
	if !canMove(c.state, s) {
		panic(fmt.Sprintf("control: a test cannot move from %s to %s", c.state, s))
	}
	c.state = s
}

// ticker is what the tick keeps from one second to the next.
type ticker struct {
	meter       *cpu.Meter
	lastWarn    time.Time
	lastEvent   time.Time // of the CPUWarning hook
	lastConsole time.Time
	workers     map[string]cluster.WorkerInfo // a master's, at the last tick (workerwatch.go)
}

// tick is the once-a-second work: the CPU sample, and for a running test
// its statistics, thresholds, load shape and console table. A stopped
// test whose statistics changed since (a worker's late report) gets its
// CSV files rewritten.
func (c *Controller) tick(t *ticker, now time.Time) {
	sample := t.meter.Sample
	if c.cpuSample != nil {
		sample = c.cpuSample
	}
	share, ok := sample(now)
	hot := ok && share > cpuWarnAt
	c.mu.Lock()
	c.cpuShare, c.cpuKnown, c.cpuHot = share, ok, hot
	run, state := c.run, c.state
	c.mu.Unlock()
	if h := c.opts.Hooks.CPUWarning; hot && h != nil && now.Sub(t.lastEvent) >= cpuEventEvery {
		t.lastEvent = now
		percent := share * 100
		c.notes.post(func() { h(percent) })
	}
	c.watchWorkers(t)
	if run == nil {
		return
	}
	if !state.Active() {
		if state == Stopped && run.late.Swap(false) {
			c.updateCSV(run, run.stopped, run.finalUsers)
		}
		return
	}
	users := run.eng.users()
	if abort := c.tickStats(run, now, users); abort != "" {
		c.log.Warn("threshold broken: aborting the run", "threshold", abort)
		c.beginStop(run, End{Reason: ThresholdBroken, Detail: abort})
		return
	}
	if c.followShape(run, now) {
		return
	}
	if hot && now.Sub(t.lastWarn) > time.Minute {
		t.lastWarn = now
		c.log.Warn(fmt.Sprintf("herd's own CPU use is %.0f%% of its %d cores: it may be the bottleneck and its response times are suspect; spread the load over more processes or machines",
			share*100, t.meter.Cores()))
	}
	if c.console() && now.Sub(t.lastConsole) >= consoleEvery-tickEvery/2 {
		t.lastConsole = now
		report.WriteStats(c.out, run.stats.Snapshot(now, users), true)
		if run.th != nil {
			report.WriteThresholds(c.out, run.th.results())
		}
		fmt.Fprintln(c.out)
	}
}

// console reports whether live tables are printed.
func (c *Controller) console() bool {
	if c.cfg.Headless {
		return !c.cfg.OnlySummary
	}
	return c.cfg.PrintStats
}

// tickStats closes one second of run's statistics, evaluates its
// thresholds and updates the history and CSV files. It returns the
// message of a broken threshold that asks to abort the run, once.
func (c *Controller) tickStats(run *testRun, now time.Time, users int) (abort string) {
	rows := run.stats.Tick(now, users)
	if run.th != nil {
		if broken := run.th.tick(now, run.stats.Start()); len(broken) > 0 {
			abort = broken[0].Message()
		}
	}
	c.mu.Lock()
	run.history = append(run.history, rows[len(rows)-1])
	c.mu.Unlock()
	if c.csv != nil {
		if err := c.csv.AppendHistory(c.csvHistory(rows)); err != nil {
			c.log.Error("writing CSV history", "err", err)
		}
	}
	c.appendJSONL(rows)
	c.updateCSV(run, now, users)
	return abort
}

// updateCSV rewrites the CSV snapshot files from run's statistics.
func (c *Controller) updateCSV(run *testRun, now time.Time, users int) {
	if c.csv == nil {
		return
	}
	if err := c.csv.Update(run.stats.Snapshot(now, users)); err != nil {
		c.log.Error("writing CSV", "err", err)
	}
}
