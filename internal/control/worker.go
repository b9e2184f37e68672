package control

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/cpu"
	"github.com/herdload/herd/internal/stats"
)

// runWorker runs this process as a worker of the master at
// --master-host:--master-port until the master says quit, ctx ends, or a
// task stops the test (the worker then leaves).
func (c *Controller) runWorker(ctx context.Context) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := time.Now()
	st := stats.New(now, stats.Options{MaxNames: c.cfg.MaxNames, OnOverflow: c.warnNamesOverflow})
	w := &workerLocal{c: c, st: st, own: stats.New(now, stats.Options{Shards: 1}), quit: cancel}
	c.mu.Lock()
	c.worker = w
	c.mu.Unlock()
	defer c.hosts.close()
	defer w.close()
	h := c.opts.Hooks
	var registered atomic.Bool // Init ran: Quitting runs at the end too
	if h.CPUWarning != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel() // runs first: ends the watch
		wg.Go(func() { c.watchCPU(ctx, h.CPUWarning) })
	}
	err := cluster.RunWorker(ctx, cluster.WorkerOptions{
		Master: "tcp://" + net.JoinHostPort(c.cfg.MasterHost, strconv.Itoa(c.cfg.MasterPort)),
		Logger: c.log,
		Token:  c.cfg.MasterToken,
		// Init runs once the master gave this worker its index, as Locust
		// fires init after the worker connected; no spawn is handled before.
		OnRegistered: func(_ context.Context, index int, send func(string, any) error) error {
			registered.Store(true)
			if h.Registered != nil {
				h.Registered(index, send)
			}
			if h.Init != nil {
				if err := h.Init(RunInfo{Host: c.cfg.Host, UserTypes: typeNames(c.types)}); err != nil {
					return fmt.Errorf("%w: %w", errInit, err)
				}
			}
			return nil
		},
		OnCustom: func(typ string, data any) {
			if h.Message != nil {
				h.Message("", typ, data)
			}
		},
		ReportExtra:     h.ReportExtra,
		OnParsedOptions: h.Options,
		// Once per spawn the worker confirms: not for one that a newer
		// spawn or a stop interrupted.
		OnSpawningComplete: func(users int) {
			w.spawned()
			if h.SpawningComplete != nil {
				h.SpawningComplete(users)
			}
		},
	}, w)
	w.close() // the last test's statistics are final
	snap, end := w.final(), w.lastEnd()
	c.mu.Lock()
	c.final, c.finalEnd = snap, end
	c.mu.Unlock()
	code := ExitOK
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		err = nil
		c.log.Info("worker done")
		if end.Failed {
			code = c.cfg.ExitCodeOnError
		}
	default:
		code, err = ExitInternal, fmt.Errorf("worker: %w", err)
	}
	// As Locust's worker, whose process fires quitting as it shuts down:
	// with this worker's own statistics.
	if h.Quitting != nil && registered.Load() {
		code = h.Quitting(snap, code)
	}
	return code, err
}

// watchCPU runs the CPUWarning hook on a worker, which has no life loop:
// every 5 s, when this process used more than 90% of its cores since the
// last look (Locust's worker monitors its CPU the same way).
func (c *Controller) watchCPU(ctx context.Context, hook func(percent float64)) {
	meter := cpu.NewMeter(time.Now())
	sample := meter.Sample
	if c.cpuSample != nil {
		sample = c.cpuSample
	}
	t := time.NewTicker(cpuEventEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if share, ok := sample(now); ok && share > cpuWarnAt {
				hook(share * 100)
			}
		}
	}
}

// workerLocal is the worker's own users as the cluster protocol drives
// them: one Local per test, created by the test's first spawn.
type workerLocal struct {
	c    *Controller
	st   *stats.Stats // this worker's statistics for its whole life
	quit func()       // a task returned ErrStopTest: the worker leaves
	// own accumulates each report's delta (st is drained by each), so
	// the runner handle sees this worker's requests of its current test;
	// only once the handle asked (keep), as it costs ~2.6 KB a name.
	own  *stats.Stats
	keep atomic.Bool

	// ops orders the start of a test (its TestStart hook, its Local)
	// against a stop; mu guards the fields below, and is never held while
	// user code runs (a hook may read them through the runner handle).
	ops    sync.Mutex
	mu     sync.Mutex
	run    Local             // the current test, nil between tests
	sched  *cluster.Schedule // its share of an open-model run, if it is one
	noHost []string          // types of the current test without a host
	done   chan struct{}     // closed when the current test stops
	wg     sync.WaitGroup    // the watchers of ErrStopTest
	state  State             // this worker's part of the test
	target int               // users its master last asked for
	end    End               // how its last test ended
}

var (
	_ cluster.Local     = (*workerLocal)(nil)
	_ cluster.OpenLocal = (*workerLocal)(nil)
)

func (w *workerLocal) Apply(counts map[string]int, host string, stopTimeout time.Duration) {
	target := 0
	for _, n := range counts {
		target += n
	}
	w.ops.Lock()
	w.mu.Lock()
	starting := w.run == nil
	w.target = target // a TestStart hook sees the new test's target
	w.mu.Unlock()
	if starting {
		if err := w.start(host, stopTimeout); err != nil {
			w.ops.Unlock()
			w.c.log.Error("cannot start users", "err", err)
			return
		}
	}
	w.mu.Lock()
	for _, name := range w.noHost {
		if counts[name] > 0 {
			counts = maps.Clone(counts) // the caller's map stays as the master sent it
			w.c.log.Error("cannot start users: no host for this user type; pass -H/--host http://… to the master or this worker, or set UserType.Host",
				"user_type", name, "users", counts[name])
			counts[name] = 0
		}
	}
	run := w.run
	w.state = Spawning
	w.mu.Unlock()
	w.ops.Unlock()
	if err := w.c.capacity(counts); err != nil {
		w.c.log.Error("cannot start the users the master asked for: keeping the current ones", "users", counts, "err", err)
		return
	}
	run.SetCounts(counts)
}

// spawned runs when the worker confirmed a spawn to its master.
func (w *workerLocal) spawned() {
	w.mu.Lock()
	if w.state == Spawning {
		w.state = Running
	}
	w.mu.Unlock()
}

// start starts a test on this worker: the TestStart hook, and a new Local
// against host ("" for --host). w.ops is held, w.mu is not.
func (w *workerLocal) start(host string, stopTimeout time.Duration) error {
	if host == "" {
		host = w.c.cfg.Host
	}
	types, missing, err := w.c.hosts.resolve(w.c.types, host)
	if err != nil {
		return err
	}
	// A new test: its names count afresh toward --max-names (nothing was
	// recorded since the master took the last test's report).
	now := time.Now()
	w.st.Reset(now)
	w.own.Reset(now)
	w.mu.Lock()
	w.end = End{}
	w.mu.Unlock()
	if h := w.c.opts.Hooks.TestStart; h != nil {
		if err := h(); err != nil {
			w.c.log.Error("test start listener failed", "err", err)
		}
	}
	l, err := w.c.opts.NewLocal(LocalSpec{Types: types, Stats: w.st, StopTimeout: stopTimeout})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	w.mu.Lock()
	w.run, w.done, w.noHost = l, done, missing
	w.mu.Unlock()
	w.wg.Go(func() {
		select {
		case <-l.StopTestRequested():
			w.c.log.Info("a task stopped the test: this worker quits")
			w.quit()
		case <-done:
		}
	})
	return nil
}

func (w *workerLocal) Stop() {
	w.ops.Lock() // after a start in progress
	defer w.ops.Unlock()
	w.mu.Lock()
	run, done := w.run, w.done
	w.run, w.sched, w.done = nil, nil, nil
	if run != nil {
		w.state = Stopping
		if w.end.Reason == NotEnded {
			w.end = End{Reason: MasterStopped}
		}
	}
	w.mu.Unlock()
	if run == nil {
		return
	}
	if h := w.c.opts.Hooks.TestStopping; h != nil {
		h()
	}
	if left := run.Stop(stopGrace); left > 0 {
		w.c.log.Warn("some users did not stop (their code ignores its context)", "users", left)
	}
	close(done)
	w.mu.Lock()
	w.state = Stopped
	w.mu.Unlock()
	if h := w.c.opts.Hooks.TestStop; h != nil {
		h()
	}
}

// leave ends this worker's part in the run for e (user code stopped the
// test): its users stop and it quits its master, as after ErrStopTest.
func (w *workerLocal) leave(e End) {
	w.mu.Lock()
	if w.end.Reason == NotEnded {
		w.end = e
	}
	w.mu.Unlock()
	if e.Failed {
		w.c.log.Warn("the test is stopped from code: this worker quits", "err", e.Detail)
	} else {
		w.c.log.Info("the test is stopped from code: this worker quits")
	}
	w.quit()
}

func (w *workerLocal) lastEnd() End {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.end
}

// live is this worker's part of the test.
func (w *workerLocal) live() Live {
	w.mu.Lock()
	l := Live{State: w.state, Target: w.target, Counts: w.c.zeroCounts()}
	run := w.run
	w.mu.Unlock()
	if run != nil {
		l.Users = run.Users()
		maps.Copy(l.Counts, run.Counts())
	}
	return l
}

// snapshot is this worker's statistics of its current (or last) test as
// of its last report, since the first call: a worker keeps statistics of
// its own from then on.
func (w *workerLocal) snapshot() *stats.Snapshot {
	if !w.keep.Swap(true) {
		w.own.Reset(time.Now())
	}
	return w.final()
}

// final is what snapshot returns, without starting to keep statistics:
// empty when nothing asked for them.
func (w *workerLocal) final() *stats.Snapshot {
	w.mu.Lock()
	run := w.run
	w.mu.Unlock()
	users := 0
	if run != nil {
		users = run.Users()
	}
	return w.own.Snapshot(time.Now(), users)
}

// close stops the current test and joins the watchers.
func (w *workerLocal) close() {
	w.Stop()
	w.wg.Wait()
}

func (w *workerLocal) Counts() map[string]int {
	w.mu.Lock()
	run := w.run
	w.mu.Unlock()
	out := make(map[string]int, len(w.c.types))
	for _, t := range w.c.types {
		out[t.Name] = 0
	}
	if run != nil {
		maps.Copy(out, run.Counts())
	}
	return out
}

func (w *workerLocal) TakeDelta(now time.Time) *stats.Delta {
	d := w.st.TakeDelta(now)
	if w.keep.Load() {
		w.own.Merge(d, "")
		w.own.Tick(now, 0) // closes the window slot the delta spread over
	}
	return d
}

func (w *workerLocal) Classes() []cluster.Class { return classesOf(w.c.types) }

// StartOpen runs this worker's share of an open-model run.
func (w *workerLocal) StartOpen(s cluster.OpenShare, host string, stopTimeout time.Duration, end func()) error {
	sched, err := cluster.NewSchedule(s)
	if err != nil {
		return err
	}
	w.ops.Lock()
	w.mu.Lock()
	running := w.run != nil
	w.target = s.Pool
	w.mu.Unlock()
	if running {
		w.ops.Unlock()
		return errors.New("a test is already running on this worker")
	}
	err = w.start(host, stopTimeout)
	w.mu.Lock()
	if err == nil {
		w.sched, w.state = sched, Running
	}
	run := w.run
	w.mu.Unlock()
	w.ops.Unlock()
	if err != nil {
		return err
	}
	return run.StartOpen(OpenOptions{Next: sched.Next, Start: s.Start, Pool: s.Pool, MaxUsers: s.MaxUsers,
		MaxLate: s.MaxLate, Quantum: w.c.cfg.ArrivalQuantum, OnEnd: end})
}

// Reshare switches the running share to s from s.From on.
func (w *workerLocal) Reshare(s cluster.OpenShare) {
	w.mu.Lock()
	sched := w.sched
	w.mu.Unlock()
	if sched == nil {
		return
	}
	if late, err := sched.Reshare(s); err != nil {
		w.c.log.Error("cannot change the share of the arrival rate", "err", err)
	} else if late {
		w.c.log.Warn("the new share of the arrival rate came after its start: an iteration of the old share past it may run twice or not at all",
			"from", s.From)
	}
}
