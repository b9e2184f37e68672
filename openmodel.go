package herd

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/dispatch"
)

// The open model (--arrival-rate): iterations start at their intended
// instants whatever the target's speed. A dispatcher goroutine walks the
// schedule and queues each due iteration for the pool of users; when the
// queue is not empty (every user busy) the pool grows up to its maximum.
// A queued iteration that could not start within maxLate of its intended
// start, or that finds the queue full, is dropped and counted. Every
// request is timed twice: from its actual send (service time) and from its
// intended start, which adds how late its iteration began, so a stalled
// target shows in the second timing even when few requests were in flight
// during the stall (coordinated omission).
//
// The dispatcher sleeps at most once per quantum: at rates above one
// iteration per quantum it wakes every quantum and releases every iteration
// due by then, each timed from its own intended start (so up to a quantum
// late, and the intended-start timing says so). A wake of an idle process
// costs far more than a request's own work (the scheduler, the system
// monitor thread, the poller: see docs/PERFORMANCE.md, "Round two"), so one
// wake per iteration cost 2.6 times bombardier's CPU per request at 2,000/s;
// one per quantum costs about what bombardier's own batches (20 requests
// every 10 ms) do. Below one iteration per quantum every iteration is
// released at its instant, as before. No iteration starts early, and a stop
// first hands out those already due (releaseDue), so counts at a deadline
// stay exact.

// openOptions configure an open-model run.
type openOptions struct {
	// next returns the next iteration's intended start, as an offset from
	// start, in increasing order; false ends the schedule.
	next func() (time.Duration, bool)
	// start is the schedule's time zero; zero means once the pool is ready.
	start    time.Time
	pool     int           // users started up front
	maxUsers int           // the pool may grow to this many (>= pool)
	maxLate  time.Duration // queued iterations later than this are dropped
	quantum  time.Duration // the dispatcher sleeps at most once per quantum; 0: defaultQuantum
	onEnd    func()        // the schedule is over
}

// defaultQuantum is how often, at most, the dispatcher wakes to release due
// iterations: at 2,000/s, 20 at a time, each up to 10 ms late.
const defaultQuantum = 10 * time.Millisecond

// openQueue bounds the iterations waiting for a free user, per user type.
const openQueue = 1 << 16

// openState is a runner's open-model machinery.
type openState struct {
	opts  openOptions
	queue []chan time.Time // per type: intended starts waiting for a user
	iplan *dispatch.Plan   // the type of iteration k
	ready chan struct{}    // closed when the first pool is idle
	halt  chan struct{}    // closed when the runner stops
	idle  atomic.Int64     // users that joined the pool idle
	// queued counts iterations handed to the queue, settled those that ran
	// to the end or were dropped late; equal when the pool is idle.
	queued, settled atomic.Int64
	// dropped counts dropped iterations, for warnings.
	dropped atomic.Uint64
}

// startOpen runs the runner in the open model. Users are started as a pool
// of o.pool without a ramp, in the background; the dispatcher walks the
// schedule once all of them are idle (their OnStart done), or after
// openReadyWait. It returns once both are under way, so a stop is never
// kept waiting by a large pool.
func (r *runner) startOpen(o openOptions) error {
	weights := make([]dispatch.Type, len(r.types))
	for i, t := range r.types {
		w := t.Weight
		if w == 0 {
			w = max(t.FixedCount, 1)
		}
		weights[i] = dispatch.Type{Weight: w}
	}
	iplan, err := dispatch.New(weights)
	if err != nil {
		return fmt.Errorf("user types: %w", err)
	}
	// Iterations are typed: every type that gets iterations needs at least
	// one user, or its iterations would wait for nobody.
	if n := iplan.Types(); o.pool < n {
		r.log.Info("open model: the pool needs one user per user type", "pool", o.pool, "now", n)
		o.pool = n
	}
	o.maxUsers = max(o.maxUsers, o.pool)
	if o.maxLate <= 0 {
		o.maxLate = defaultMaxLate
	}
	if o.quantum <= 0 {
		o.quantum = defaultQuantum
	}
	st := &openState{opts: o, iplan: iplan, ready: make(chan struct{}), halt: make(chan struct{}),
		queue: make([]chan time.Time, len(r.types))}
	for i := range st.queue {
		st.queue[i] = make(chan time.Time, openQueue)
	}
	if o.pool == 0 {
		close(st.ready)
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	if r.ramp != nil {
		r.ramp()
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.ramp = cancel
	r.open = st
	r.target = o.pool
	// Started under r.mu so that a stop, which closes halt, waits for them.
	r.rampWG.Go(func() { r.dispatch(st) })
	// The pool starts chunk by chunk: a stop, or a new pool size through
	// start, interrupts it.
	r.rampWG.Go(func() {
		defer cancel()
		r.setCount(ctx, o.pool)
	})
	r.mu.Unlock()
	return nil
}

// defaultMaxLate is --max-lateness's default.
const defaultMaxLate = 10 * time.Second

// poolCounts splits an open-model pool of n users over the types: one
// each first, the rest by weight.
func (r *runner) poolCounts(n int) []int {
	k := len(r.types)
	if n < k {
		return r.plan.Counts(n)
	}
	counts := r.plan.Counts(n - k)
	for i := range counts {
		counts[i]++
	}
	return counts
}

// openReadyWait bounds how long the schedule waits for a slow pool.
const openReadyWait = time.Minute

// dispatch walks the schedule until it ends or the runner stops.
func (r *runner) dispatch(st *openState) {
	wait := time.NewTimer(openReadyWait)
	defer wait.Stop()
	select {
	case <-st.ready:
	case <-wait.C:
		r.log.Warn("starting the arrival schedule before every user of the pool finished OnStart")
	case <-st.halt:
		return
	}
	start := st.opts.start
	if start.IsZero() {
		start = time.Now()
	}
	shard := r.stats.Shard(0)
	var dropped uint64 // queue full, not yet in the stats
	flush := func() {
		if dropped > 0 {
			shard.AddIterations(0, dropped)
			dropped = 0
		}
	}
	defer flush()
	var lastWarn time.Time
	var warned uint64
	// woke is when the last sleep was to end: the grid of quanta starts
	// with the schedule, so uniform arrivals whose spacing divides the
	// quantum keep their exact instants on it.
	woke := start
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 0; ; k++ {
		off, ok := st.opts.next()
		if !ok {
			flush()
			if r.drained(st, timer) && st.opts.onEnd != nil {
				st.opts.onEnd()
			}
			return
		}
		due := start.Add(off)
		if now := time.Now(); due.After(now) {
			flush() // counts reach the stats while the dispatcher sleeps
			r.warnDropped(st, &lastWarn, &warned)
			wake := due // see "sleeps at most once per quantum"
			if w := woke.Add(st.opts.quantum); w.After(wake) {
				wake = w
			}
			timer.Reset(wake.Sub(now))
			select {
			case <-timer.C:
				woke = wake
			case <-st.halt:
				r.releaseDue(st, start, k, due, &dropped)
				return
			}
		}
		select {
		case <-st.halt: // the runner is stopping
			r.releaseDue(st, start, k, due, &dropped)
			return
		default:
		}
		if k%1024 == 0 {
			flush()
		}
		t := st.iplan.TypeOf(k)
		q := st.queue[t]
		select {
		case q <- due:
			st.queued.Add(1)
		default:
			dropped++
			st.dropped.Add(1)
			continue
		}
		if len(q) > 0 { // nobody took it at once: every user is busy
			r.grow(st, t)
		}
	}
}

// releaseDue hands out, when the runner stops, the iterations due before
// now that the dispatcher had not released yet (it was waiting for the end
// of its quantum), from iteration k, due at due: idle users take them as
// they would have at their instants, and stopOpen counts those nobody took
// as dropped. The users are asked to stop only after that.
func (r *runner) releaseDue(st *openState, start time.Time, k int, due time.Time, dropped *uint64) {
	now := time.Now()
	for due.Before(now) {
		select {
		case st.queue[st.iplan.TypeOf(k)] <- due:
			st.queued.Add(1)
		default:
			*dropped++
			st.dropped.Add(1)
		}
		off, ok := st.opts.next()
		if !ok {
			return
		}
		k++
		due = start.Add(off)
	}
}

// drainPoll is how often the end of a schedule checks for idle users.
const drainPoll = 10 * time.Millisecond

// drained waits, after the last iteration was queued, until every queued
// iteration ran and every user is idle, or the lateness bound passed. It
// returns false when the runner stopped meanwhile.
func (r *runner) drained(st *openState, timer *time.Timer) bool {
	deadline := time.Now().Add(st.opts.maxLate)
	for {
		if st.settled.Load() == st.queued.Load() || !time.Now().Before(deadline) {
			return true
		}
		timer.Reset(drainPoll)
		select {
		case <-timer.C:
		case <-st.halt:
			return false
		}
	}
}

// stopOpen counts the iterations still queued when the runner stopped as
// dropped: they were due and never ran. The dispatcher has returned.
func (r *runner) stopOpen() {
	st := r.open
	var n uint64
	for _, q := range st.queue {
		for len(q) > 0 {
			select {
			case <-q:
				n++
			default:
			}
		}
	}
	if n > 0 {
		r.stats.Shard(0).AddIterations(0, n)
	}
}

// warnDropped warns, at most every 10 s, when iterations were dropped
// since the last warning.
func (r *runner) warnDropped(st *openState, lastWarn *time.Time, warned *uint64) {
	n := st.dropped.Load()
	if n == *warned {
		return
	}
	if now := time.Now(); now.Sub(*lastWarn) >= 10*time.Second {
		*lastWarn, *warned = now, n
		r.log.Warn("iterations dropped: no user of the pool was free in time; raise --max-users, or the target is too slow for this rate",
			"dropped_so_far", n, "max_users", st.opts.maxUsers, "max_lateness", st.opts.maxLate)
	}
}

// grow starts one more user of type t, unless the pool is at its maximum;
// it will take a queued iteration.
func (r *runner) grow(st *openState, t int) {
	if r.running.Load() >= int64(st.opts.maxUsers) {
		return // cheap check first: a busy pool at its maximum is the common case
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped && r.countLocked() < st.opts.maxUsers {
		r.startLocked(t)
	}
}

// serve runs an open-model user: one iteration per queued intended start
// it takes, until it is stopped.
func (x *executor) serve(ctx context.Context, c *compiled, st *openState) outcome {
	if len(c.tasks) == 0 {
		x.userError(ctx, "Tasks", errors.New("user has no tasks to run"), "")
		x.idle(ctx)
		return outStop
	}
	queue := st.queue[x.h.typ]
	if st.idle.Add(1) == int64(st.opts.pool) {
		close(st.ready)
	}
	stop := x.h.stopCh()
	for {
		var due time.Time
		select {
		case due = <-queue:
		case <-stop:
			return outStop
		case <-ctx.Done():
			return outStop
		}
		late := max(time.Since(due), 0)
		if late > st.opts.maxLate {
			x.env.shard.AddIterations(0, 1)
			st.dropped.Add(1)
			st.settled.Add(1)
			continue
		}
		x.env.shard.AddIterations(1, 0)
		x.env.late = late
		out, done := x.iteration(ctx, c)
		st.settled.Add(1)
		if done {
			return out
		}
		if x.stopping() {
			return outStop
		}
	}
}

// iteration runs one task, picked as in the closed model; a picked task
// set contributes one of its own tasks. done is set when the user must
// end, with why.
func (x *executor) iteration(ctx context.Context, c *compiled) (out outcome, done bool) {
	for {
		i := c.pick(c.picks)
		c.picks++
		if sub := c.set(i); sub != nil && len(sub.tasks) > 0 {
			c = sub
			continue
		}
		t := &c.tasks[i]
		if t.Run == nil {
			return outStop, false
		}
		err := errCaught
		if x.call(ctx, "", t, t.Run) {
			err = x.lastErr
		}
		switch {
		case errors.Is(err, ErrStopUser):
			return outStopUser, true
		case errors.Is(err, ErrStopTest):
			x.r.requestStopTest()
			return outStop, true
		}
		return outStop, false
	}
}
