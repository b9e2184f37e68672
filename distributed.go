package herd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/web"
)

// classesOf describes user types for the master's dispatcher.
func classesOf(types []*userType) []cluster.Class {
	if len(types) == 0 {
		return nil // a master without the test's code learns them
	}
	cs := make([]cluster.Class, len(types))
	for i, ut := range types {
		cs[i] = cluster.Class{Name: ut.Name, Weight: ut.Weight, FixedCount: ut.FixedCount}
		if ut.Weight == 0 && ut.FixedCount == 0 {
			cs[i].Weight = 1
		}
	}
	return cs
}

// startMaster binds the master's socket (--master, --processes).
func (c *controller) startMaster(ctx context.Context) error {
	host := c.cfg.MasterBindHost
	if host == "" {
		host = "*"
	}
	if c.cfg.Processes != 0 {
		host = "127.0.0.1" // local workers only
	}
	m, err := cluster.StartMaster(ctx, cluster.MasterOptions{
		Bind:      "tcp://" + net.JoinHostPort(host, strconv.Itoa(c.cfg.MasterBindPort)),
		Logger:    c.log,
		Classes:   classesOf(c.picked),
		Rebalance: c.cfg.EnableRebalancing,
		OnDelta:   c.mergeDelta,
		OnCustom: func(node, typ string, data any) {
			c.test.Events.deliver(withNode(context.Background(), c.node), Message{Type: typ, Data: data, From: node})
		},
		OnReportExtra: func(node string, extra map[string]any) {
			ctx := withNode(context.Background(), c.node)
			for _, fn := range c.test.Events.workerReport {
				fn(ctx, node, extra)
			}
		},
	})
	if err != nil {
		return err
	}
	c.master = m
	c.node.sendDown = m.Send
	c.log.Info("master listening for workers", "port", m.Port())
	return nil
}

// mergeDelta adds a worker's report to the current (or last) test's
// statistics. Reports also arrive after a stop (Locust workers send the
// rest of their statistics with their next periodic report, or when they
// quit); those still count, and are drained at once since the stopped
// test is no longer ticked.
func (c *controller) mergeDelta(d *stats.Delta, node string) {
	c.mu.Lock()
	run, state := c.run, c.state
	c.mu.Unlock()
	if run == nil {
		return
	}
	run.stats.Merge(d, node)
	if state == web.StateStopped {
		run.stats.Tick(run.stopped, 0)
	}
}

// quitWorkers tells the workers to quit and waits a moment for them, so
// their last statistics are in the final report.
func (c *controller) quitWorkers() {
	if c.master != nil {
		c.master.Quit(3 * time.Second)
	}
}

// waitForWorkers waits for --expect-workers (at most
// --expect-workers-max-wait seconds when set) before a headless or
// autostarted master starts.
func (c *controller) waitForWorkers(ctx context.Context) error {
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

// closeMaster tells the workers to quit, so their last reports arrive,
// then stops listening.
func (c *controller) closeMaster() {
	if c.master != nil {
		c.master.Quit(3 * time.Second)
		c.master.Close()
	}
}

func (c *controller) processCount() int {
	if c.cfg.Processes < 0 {
		return runtime.NumCPU()
	}
	return c.cfg.Processes
}

// startProcesses runs --processes worker processes of this same program,
// connected to this master. They are stopped when stop is called.
func (c *controller) startProcesses() (stop func(), err error) {
	self := c.env.Exec
	if len(self) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("--processes: finding this program: %w", err)
		}
		self = []string{exe}
	}
	args := append(append(slices.Clone(self[1:]), workerArgs(c.env.Args)...), "--worker", "--master-host", "127.0.0.1",
		"--master-port", strconv.Itoa(c.master.Port()))
	exe := self[0]
	var cmds []*exec.Cmd
	for range c.processCount() {
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = c.env.Stderr, c.env.Stderr
		cmd.Env = append(os.Environ(), "HERD_PROCESSES=0", "HERD_MASTER=false")
		if err := cmd.Start(); err != nil {
			for _, c := range cmds {
				c.Process.Kill()
				c.Wait()
			}
			return nil, fmt.Errorf("--processes: starting a worker: %w", err)
		}
		cmds = append(cmds, cmd)
	}
	c.log.Info("started local worker processes", "processes", len(cmds))
	var once sync.Once
	return func() {
		once.Do(func() {
			done := make(chan struct{})
			go func() {
				for _, cmd := range cmds {
					cmd.Wait()
				}
				close(done)
			}()
			select {
			case <-done: // they quit when the master said so
			case <-time.After(10 * time.Second):
				for _, cmd := range cmds {
					cmd.Process.Kill()
				}
				<-done
			}
		})
	}, nil
}

// workerArgs is the command line a --processes worker gets: this one
// without the options that only a master uses.
func workerArgs(args []string) []string {
	drop := map[string]bool{ // options with a value
		"--processes": true, "--master-bind-host": true, "--master-bind-port": true, "--expect-workers": true,
		"--expect-workers-max-wait": true, "--csv": true, "--json-file": true, "--html": true, "--web-host": true,
		"-P": true, "--web-port": true, "--web-base-path": true, "--web-auth": true, "--tls-cert": true,
		"--tls-key": true, "--autoquit": true, "--logfile": true,
	}
	flags := map[string]bool{ // options without one
		"--master": true, "--enable-rebalancing": true, "--csv-full-history": true, "--json": true,
		"--autostart": true, "--headless": true, "--print-stats": true, "--only-summary": true, "--class-picker": true,
	}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case drop[name] && !hasValue:
			i++ // skip its value
		case drop[name], flags[name]:
		default:
			out = append(out, a)
		}
	}
	return out
}

// workerMode runs this process as a worker of the master at
// --master-host:--master-port until the master says quit or ctx ends.
func (c *controller) workerMode(ctx context.Context) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	local := &workerLocal{c: c, st: stats.New(time.Now(), stats.Options{}), quit: cancel}
	defer local.Stop()
	defer c.stopDemo()
	master := "tcp://" + net.JoinHostPort(c.cfg.MasterHost, strconv.Itoa(c.cfg.MasterPort))
	nodeCtx := withNode(context.Background(), c.node)
	info := &RunInfo{Host: c.cfg.Host, UserTypes: typeList(c.all)}
	for _, fn := range c.test.Events.init {
		if err := fn(nodeCtx, info); err != nil {
			c.log.Error("init listener failed: not starting", "err", err)
			return ExitInternal
		}
	}
	var index atomic.Int64
	index.Store(-1)
	c.node.index = func() int { return int(index.Load()) }
	err := cluster.RunWorker(ctx, cluster.WorkerOptions{
		Master: master,
		Logger: c.log,
		OnConnected: func(i int, send func(string, any) error) {
			index.Store(int64(i))
			c.node.setSendUp(send)
		},
		OnCustom: func(typ string, data any) {
			c.test.Events.deliver(nodeCtx, Message{Type: typ, Data: data})
		},
		ReportExtra: func() map[string]any {
			if len(c.test.Events.reportToMaster) == 0 {
				return nil
			}
			data := map[string]any{}
			for _, fn := range c.test.Events.reportToMaster {
				fn(nodeCtx, data)
			}
			return data
		},
	}, local)
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		c.log.Info("worker done")
		return ExitOK
	default:
		fmt.Fprintf(c.env.Stderr, "%s: worker: %v\n", c.env.Prog, err)
		return ExitInternal
	}
}

// workerLocal is the worker's own runner as the cluster protocol drives it.
type workerLocal struct {
	c    *controller
	st   *stats.Stats // this worker's statistics for its whole life
	quit func()       // a task returned ErrStopTest: the worker leaves

	mu     sync.Mutex
	run    *runner           // the current test, nil between tests
	sched  *cluster.Schedule // its share of an open-model run, if it is one
	noHost []string          // HTTP types of the current test without a host
}

var _ cluster.Local = (*workerLocal)(nil)

func (w *workerLocal) Apply(counts map[string]int, host string, stopTimeout time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.run == nil {
		if _, err := w.newRunLocked(host, stopTimeout); err != nil {
			w.c.log.Error("cannot start users", "err", err)
			return
		}
	}
	for _, name := range w.noHost {
		if counts[name] > 0 {
			counts = maps.Clone(counts) // the caller's map stays as the master sent it
			w.c.log.Error("cannot start users: no host for this user type; pass -H/--host http://… to the master or this worker, or set UserType.Host",
				"user_type", name, "users", counts[name])
			counts[name] = 0
		}
	}
	w.run.setTypeCounts(counts)
}

// newRunLocked starts a test on this worker: test start listeners, and a
// new runner against host ("" for --host).
func (w *workerLocal) newRunLocked(host string, stopTimeout time.Duration) (*runner, error) {
	if host == "" {
		host = w.c.cfg.Host
	}
	types, missing, err := w.c.hostsFor(w.c.all, host)
	if err != nil {
		return nil, err
	}
	w.noHost = missing
	for _, fn := range w.c.test.Events.testStart {
		if err := fn(withNode(context.Background(), w.c.node)); err != nil {
			w.c.log.Error("test start listener failed", "err", err)
		}
	}
	r, err := newRunner(types, w.st, &w.c.test.Events, w.c.log, runnerOptions{
		stopTimeout:    stopTimeout,
		requestTimeout: w.c.cfg.RequestTimeout,
		tags:           w.c.cfg.Tags,
		exclude:        w.c.cfg.ExcludeTags,
		node:           w.c.node,
	})
	if err != nil {
		return nil, err
	}
	w.run = r
	go func() {
		<-r.stopTestRequested()
		w.c.log.Info("a task stopped the test: this worker quits")
		w.quit()
	}()
	return r, nil
}

func (w *workerLocal) Stop() {
	w.mu.Lock()
	r := w.run
	w.run, w.sched = nil, nil
	w.mu.Unlock()
	if r == nil {
		return
	}
	if left := r.stop(stopGrace); left > 0 {
		w.c.log.Warn("some users did not stop (their code ignores its context)", "users", left)
	}
	for _, fn := range w.c.test.Events.testStop {
		fn(withNode(context.Background(), w.c.node))
	}
}

func (w *workerLocal) Counts() map[string]int {
	w.mu.Lock()
	r := w.run
	w.mu.Unlock()
	out := make(map[string]int, len(w.c.all))
	for _, ut := range w.c.all {
		out[ut.Name] = 0
	}
	if r != nil {
		for k, v := range r.countsByType() {
			out[k] = v
		}
	}
	return out
}

func (w *workerLocal) TakeDelta(now time.Time) *stats.Delta { return w.st.TakeDelta(now) }

func (w *workerLocal) Classes() []cluster.Class { return classesOf(w.c.all) }

// writeWorkers prints a master's workers table under the summary.
func (c *controller) writeWorkers(w io.Writer) {
	if c.master == nil {
		return
	}
	c.mu.Lock()
	ws := c.finalWorkers
	c.mu.Unlock()
	fmt.Fprintf(w, "\nWorkers (%d)\n", len(ws))
	fmt.Fprintf(w, "%-6s %-44s %-9s %7s %7s %10s\n", "Index", "ID", "State", "Users", "CPU %", "Memory")
	fmt.Fprintln(w, strings.Repeat("-", 6)+"|"+strings.Repeat("-", 44)+"|"+strings.Repeat("-", 9)+"|"+strings.Repeat("-", 7)+"|"+strings.Repeat("-", 7)+"|"+strings.Repeat("-", 10))
	for _, wk := range ws {
		fmt.Fprintf(w, "%-6d %-44s %-9s %7d %7.1f %9.0fM\n", wk.Index, wk.ID, wk.State, wk.Users, wk.CPU, float64(wk.Memory)/(1<<20))
	}
}
