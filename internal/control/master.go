package control

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/web"
)

type clusterClass = cluster.Class

// classesOf describes user types for a master's dispatcher.
func classesOf(types []Type) []cluster.Class {
	if len(types) == 0 {
		return nil // a master without the test's code learns them
	}
	cs := make([]cluster.Class, len(types))
	for i, t := range types {
		cs[i] = cluster.Class{Name: t.Name, Weight: t.Weight, FixedCount: t.FixedCount}
		if t.Weight == 0 && t.FixedCount == 0 {
			cs[i].Weight = 1
		}
	}
	return cs
}

// startMaster binds the master's socket (--master, --processes).
func (c *Controller) startMaster() error {
	host := c.cfg.MasterBindHost
	if host == "" {
		host = "*"
	}
	port := c.cfg.MasterBindPort
	if c.cfg.Processes != 0 {
		// Local workers only, told the port: any free one, so that two
		// such runs on one machine do not collide.
		host, port = "127.0.0.1", 0
	}
	h := c.opts.Hooks
	m, err := cluster.StartMaster(context.Background(), cluster.MasterOptions{
		Bind:          "tcp://" + net.JoinHostPort(host, strconv.Itoa(port)),
		Logger:        c.log,
		Classes:       classesOf(c.picked),
		Rebalance:     c.cfg.EnableRebalancing,
		OnDelta:       c.mergeDelta,
		OnCustom:      h.Message,
		OnReportExtra: h.WorkerReport,
		ParsedOptions: h.ParsedOptions,
		Token:         c.cfg.MasterToken,
		// A worker's report grows with its request names; a master told to
		// expect more workers than the default cap holds them all, with
		// room for as many reconnecting.
		Limits: transport.Limits{MaxMessageSize: cluster.MaxReportSize(c.cfg.MaxNames),
			MaxConnections: maxWorkerConns(c.cfg.ExpectWorkers)},
	})
	if err != nil {
		return err
	}
	c.master = m
	if h.MasterStarted != nil {
		h.MasterStarted(m.Send)
	}
	c.log.Info("master listening for workers", "port", m.Port())
	return nil
}

// mergeDelta adds a worker's report to the current (or last) test's
// statistics. Reports also arrive after a stop (Locust workers send the
// rest of their statistics with their next periodic report, or when they
// quit); those still count: they are drained at once, and the life loop
// rewrites the CSV files.
func (c *Controller) mergeDelta(d *stats.Delta, node string) {
	c.mu.Lock()
	run, state := c.run, c.state
	c.mu.Unlock()
	if run == nil {
		return
	}
	run.stats.Merge(d, node)
	if state == Stopped {
		run.stats.Tick(run.stopped, 0)
		run.late.Store(true)
	}
}

// quitWorkers tells a master's workers to quit and waits a moment for
// them, so their last statistics are in the final report.
func (c *Controller) quitWorkers() {
	if c.master != nil {
		c.master.Quit(3 * time.Second)
	}
}

// waitForWorkers waits for --expect-workers (at most
// --expect-workers-max-wait seconds when set) before a headless or
// autostarted master starts.
func (c *Controller) waitForWorkers(ctx context.Context) error {
	n := c.cfg.ExpectWorkers
	if c.cfg.Processes != 0 {
		n = c.processCount()
	}
	if c.cfg.ExpectWorkersMaxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(c.cfg.ExpectWorkersMaxWait)*time.Second)
		defer cancel()
	}
	c.log.Info("waiting for workers", "expect", n)
	if err := c.master.WaitForWorkers(ctx, n); err != nil {
		return fmt.Errorf("waiting for --expect-workers %d: %w", n, err)
	}
	return nil
}

func (c *Controller) processCount() int {
	if c.cfg.Processes < 0 {
		return runtime.NumCPU()
	}
	return c.cfg.Processes
}

// masterEngine runs a test on the workers of a master.
type masterEngine struct {
	m           *cluster.Master
	host        string
	stopTimeout time.Duration
}

func (e masterEngine) ramp(target int, rate float64, done func(int)) error {
	return e.m.Start(target, rate, e.host, e.stopTimeout, done)
}

// startArrivals gives each worker its exact share of the schedule.
func (e masterEngine) startArrivals(p openPlan, onEnd func()) error {
	return e.m.StartOpen(p.cluster(), e.host, e.stopTimeout, onEnd)
}

func (e masterEngine) restrict(names []string) error { e.m.Restrict(names); return nil }

// stop stops the workers' users and waits for their last statistics: a
// herd worker sends them before it confirms, a Locust worker with its next
// report (cluster.MasterOptions.FinalReportWait bounds the wait, and the
// master names any worker whose report did not come).
func (e masterEngine) stop(grace time.Duration) int {
	left := e.m.Stop(grace)
	e.m.AwaitFinalReports(context.Background())
	return left
}

func (e masterEngine) users() int             { return e.m.UserCount() }
func (e masterEngine) counts() map[string]int { return e.m.CountsByType() }

func (e masterEngine) ended() (<-chan struct{}, Reason) { return e.m.AllGone(), LastWorkerLeft }

// newEngine is run's engine: this process's users, or the master's
// workers.
func (c *Controller) newEngine(run *testRun) (engine, error) {
	if c.master != nil {
		return masterEngine{m: c.master, host: run.host, stopTimeout: c.cfg.StopTimeout}, nil
	}
	l, err := c.opts.NewLocal(LocalSpec{Types: run.types, Stats: run.stats, StopTimeout: c.cfg.StopTimeout})
	if err != nil {
		return nil, err
	}
	return localEngine{l}, nil
}

// finalWorkers is a master's workers as the last test ran.
func (c *Controller) finalWorkers() []cluster.WorkerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.workers
}

// webWorkers is ws as the web UI shows them.
func webWorkers(ws []cluster.WorkerInfo) []web.WorkerInfo {
	out := make([]web.WorkerInfo, 0, len(ws))
	for _, w := range ws {
		out = append(out, web.WorkerInfo{ID: w.ID, Index: w.Index, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory})
	}
	return out
}

// writeWorkers prints a master's workers table under the summary.
func (c *Controller) writeWorkers(w io.Writer) {
	if c.master == nil {
		return
	}
	ws := c.finalWorkers()
	fmt.Fprintf(w, "\nWorkers (%d)\n", len(ws))
	fmt.Fprintf(w, "%-6s %-44s %-9s %7s %7s %10s\n", "Index", "ID", "State", "Users", "CPU %", "Memory")
	fmt.Fprintln(w, strings.Repeat("-", 6)+"|"+strings.Repeat("-", 44)+"|"+strings.Repeat("-", 9)+"|"+strings.Repeat("-", 7)+"|"+strings.Repeat("-", 7)+"|"+strings.Repeat("-", 10))
	for _, wk := range ws {
		fmt.Fprintf(w, "%-6d %-44s %-9s %7d %7.1f %9.0fM\n", wk.Index, wk.ID, wk.State, wk.Users, wk.CPU, float64(wk.Memory)/(1<<20))
	}
}

// maxWorkerConns is the master port's connection cap: the transport's
// default, or twice the workers expected (each may reconnect while its old
// connection is still being noticed as gone).
func maxWorkerConns(expect int) int {
	return max(transport.DefaultMaxConnections, 2*expect)
}
