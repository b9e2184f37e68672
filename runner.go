package herd

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/dispatch"
	"github.com/herdload/herd/internal/stats"
)

// runner owns the simulated users of one process: it starts and stops them
// to follow a target count and spawn rate. It knows nothing of reports; the
// code driving it (headless mode, later a web UI or a master) ticks the
// statistics and decides when to stop.
type runner struct {
	types  []*userType
	plan   *dispatch.Plan
	stats  *stats.Stats
	events *Events
	log    *slog.Logger
	opts   runnerOptions

	ctx    context.Context // parent of every user; cancelled by kill
	cancel context.CancelFunc

	// killMu guards the kill watchers' lists (kill.go): watched, the
	// handles with watchers, and each handle's kills.
	killMu  sync.Mutex
	watched *userHandle

	stopTestOnce sync.Once
	stopTest     chan struct{} // closed when a task returns ErrStopTest

	// mu guards the fields below. It is held for at most chunk user
	// starts or stops at a time (see converge).
	mu      sync.Mutex
	active  [][]*userHandle // per type, oldest first
	nextID  int
	target  int
	ramp    context.CancelFunc // stops the current ramp or count change
	rampWG  sync.WaitGroup     // ramp and open-model dispatcher goroutines
	stopped bool
	open    *openState // set in the open model (--arrival-rate)

	users   sync.WaitGroup
	running atomic.Int64 // users that have not ended

	backoffs []startBackoff // per type: a failing OnStart's back-off (startfail.go)
}

type runnerOptions struct {
	stopTimeout    time.Duration
	requestTimeout time.Duration
	maxBody        int64
	tags, exclude  []string
	node           *Node // handed to every user's context
}

// userType is a UserType prepared to run.
type userType struct {
	*UserType
	index int
	host  string
	http  bool // its users embed HTTPUser or FastHTTPUser and need a host
}

// dispatchTypes gives each type its share; a type with neither a weight nor
// a fixed count weighs 1.
func dispatchTypes(types []*userType) []dispatch.Type {
	dt := make([]dispatch.Type, len(types))
	for i, t := range types {
		dt[i] = dispatch.Type{Weight: t.Weight, Fixed: t.FixedCount}
		if t.Weight == 0 && t.FixedCount == 0 {
			dt[i].Weight = 1
		}
	}
	return dt
}

// userHandle is the runner's grip on one user.
type userHandle struct {
	id     int // in start order
	typ    int
	cancel context.CancelFunc // cancels the user's context: call runner.killUser
	x      *executor          // wakes the user when it is parked
	// The user's kill watchers, and its place on the runner's list of
	// users with watchers; guarded by the runner's killMu (kill.go).
	kills              *killWatch
	killPrev, killNext *userHandle
	// mu guards stop, made on the first wait that selects on it: a user
	// parked between tasks never needs one (96 bytes each).
	mu      sync.Mutex
	stopped atomic.Bool   // finish the current task, then stop
	stop    chan struct{} // closed once stopped; nil until stopCh
}

// closedStop is the stop channel of a user stopped before it asked for one.
var closedStop = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// stopCh returns a channel closed when the user is asked to stop.
func (h *userHandle) stopCh() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop == nil {
		if h.stopped.Load() {
			h.stop = closedStop
		} else {
			h.stop = make(chan struct{})
		}
	}
	return h.stop
}

func (h *userHandle) requestStop() {
	h.mu.Lock()
	if h.stopped.Load() {
		h.mu.Unlock()
		return
	}
	h.stopped.Store(true)
	if h.stop != nil {
		close(h.stop)
	}
	h.mu.Unlock()
	if h.x != nil {
		h.x.wake()
	}
}

func newRunner(types []*userType, st *stats.Stats, ev *Events, log *slog.Logger, opts runnerOptions) (*runner, error) {
	plan, err := dispatch.New(dispatchTypes(types))
	if err != nil {
		return nil, fmt.Errorf("user types: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{
		types:    types,
		plan:     plan,
		stats:    st,
		events:   ev,
		log:      log,
		opts:     opts,
		ctx:      ctx,
		cancel:   cancel,
		stopTest: make(chan struct{}),
		active:   make([][]*userHandle, len(types)),
		backoffs: make([]startBackoff, len(types)),
	}, nil
}

// userCount is the number of users running (not stopping).
func (r *runner) userCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.countLocked()
}

func (r *runner) countLocked() int {
	n := 0
	for _, a := range r.active {
		n += len(a)
	}
	return n
}

// countsByType is the number of running users of each type.
func (r *runner) countsByType() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.types))
	for i, a := range r.active {
		m[r.types[i].Name] = len(a)
	}
	return m
}

// stopTestRequested is closed when a task asked to stop the test.
func (r *runner) stopTestRequested() <-chan struct{} { return r.stopTest }

func (r *runner) requestStopTest() {
	r.stopTestOnce.Do(func() { close(r.stopTest) })
}

// start ramps from the current user count to target at rate users per
// second (a rate of 0 or less, or +Inf, changes the count at once). It
// replaces any ramp in progress. onDone runs when the target is reached.
func (r *runner) start(target int, rate float64, onDone func(users int)) {
	r.mu.Lock()
	if max := r.plan.Max(); max >= 0 && target > max {
		r.log.Warn("fewer users than requested: every user type has a fixed count", "requested", target, "running", max)
		target = max
	}
	if r.stopped {
		r.mu.Unlock()
		return
	}
	if r.ramp != nil {
		r.ramp()
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.ramp = cancel
	from := r.countLocked()
	r.target = target
	defer r.mu.Unlock() // the goroutine joins rampWG before a stop can wait for it

	r.rampWG.Go(func() {
		defer cancel()
		began := time.Now()
		var timer *time.Timer
		for {
			n := rampCount(from, target, rate, time.Since(began))
			if !r.setCount(ctx, n) {
				return
			}
			if n == target {
				if onDone != nil {
					onDone(n)
				}
				return
			}
			wait := max(rampNext(from, target, rate, n)-time.Since(began), minRampStep)
			if timer == nil {
				timer = time.NewTimer(wait)
				defer timer.Stop()
			} else {
				timer.Reset(wait)
			}
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
	})
}

// minRampStep batches fast ramps: at 10,000 users/s users start 50 at a time
// every 5 ms rather than one every 100 µs.
const minRampStep = 5 * time.Millisecond

// rampCount is the user count a ramp from → to at rate users/s has reached
// after elapsed: the first step happens at once, then one user every 1/rate.
func rampCount(from, to int, rate float64, elapsed time.Duration) int {
	if rate <= 0 || math.IsInf(rate, 1) || from == to {
		return to
	}
	steps := int(math.Min(math.Floor(rate*elapsed.Seconds())+1, float64(math.MaxInt32)))
	if to > from {
		return min(from+steps, to)
	}
	return max(from-steps, to)
}

// rampNext is when, counted from the ramp's start, the step after reaching
// n is due.
func rampNext(from, to int, rate float64, n int) time.Duration {
	done := n - from
	if done < 0 {
		done = -done
	}
	return time.Duration(float64(done) / rate * float64(time.Second))
}

// setCount starts or stops users until n run, following the plan (or the
// open model's pool split). It returns false once the runner is stopping or
// ctx is cancelled (a new target replaced this one).
func (r *runner) setCount(ctx context.Context, n int) bool {
	return r.converge(ctx, func() []int { return r.countsLocked(n) }, r.countsLocked)
}

// countsLocked is the count of each type when n users run.
func (r *runner) countsLocked(n int) []int {
	if r.open != nil {
		return r.poolCounts(n)
	}
	return r.plan.Counts(n)
}

// restrict makes later counts run only the named types (every type when
// names is empty), with their usual weights.
func (r *runner) restrict(names []string) error {
	dt := dispatchTypes(r.types)
	if len(names) > 0 {
		for i, t := range r.types {
			if !slices.Contains(names, t.Name) {
				dt[i] = dispatch.Type{}
			}
		}
	}
	plan, err := dispatch.New(dt)
	if err != nil {
		return fmt.Errorf("user types %v: %w", names, err)
	}
	r.mu.Lock()
	r.plan = plan
	r.mu.Unlock()
	return nil
}

// setTypeCounts starts or stops users, without a ramp, until each type runs
// the given count, as a worker does for its master's spawn messages. Types
// not named run none; unknown names are ignored. It cancels any ramp, and
// returns early when the runner stops or a later call (or start) replaces
// it meanwhile.
func (r *runner) setTypeCounts(counts map[string]int) {
	want := make([]int, len(r.types))
	for i, t := range r.types {
		want[i] = max(counts[t.Name], 0)
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	if r.ramp != nil {
		r.ramp()
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	r.ramp = cancel
	r.mu.Unlock()
	r.converge(ctx, func() []int { return want }, nil)
}

// chunk bounds the users started or stopped under one hold of r.mu: a stop,
// a new target or a reading of the counts waits for one chunk at most
// (a few milliseconds), however far a ramp step or a master's counts jump.
const chunk = 1000

// converge starts or stops users, chunk by chunk, until each type runs
// goal()'s count, asked under r.mu each time so that a new plan applies at
// once. Between chunks it releases r.mu and gives up when ctx is cancelled
// or the runner stopped, returning false. via, when not nil, gives the
// counts for an intermediate total: a step of many users then passes
// through the exact mix of each total on its way (as a slower ramp would).
func (r *runner) converge(ctx context.Context, goal func() []int, via func(total int) []int) bool {
	for {
		r.mu.Lock()
		if r.stopped || ctx.Err() != nil {
			r.mu.Unlock()
			return false
		}
		have := make([]int, len(r.active))
		for t, a := range r.active {
			have[t] = len(a)
		}
		want := goal()
		var mid []int
		if cur, total := sum(have), sum(want); via != nil && total > cur+chunk {
			mid = via(cur + chunk)
		} else if via != nil && total < cur-chunk {
			mid = via(cur - chunk)
		}
		next := stepCounts(have, want, mid, chunk)
		gone := r.applyLocked(next)
		r.mu.Unlock()
		r.stopUsers(gone)
		if slices.Equal(next, want) {
			return true
		}
	}
}

func sum(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// stepCounts is the next chunk of a move from the counts have to want: at
// most budget users change, every type moves toward its count in want and
// never past it, stops come before starts (they free what starts need), and
// types are served in order. When mid is not nil, no type moves past its
// count in mid either (unless that would leave nothing to do), so the move
// follows mid rather than the type order.
func stepCounts(have, want, mid []int, budget int) []int {
	next := slices.Clone(have)
	for t := range next { // stops
		to := want[t]
		if mid != nil {
			to = max(to, min(mid[t], have[t]))
		}
		d := min(max(have[t]-to, 0), budget)
		next[t] -= d
		budget -= d
	}
	for t := range next { // starts
		to := want[t]
		if mid != nil {
			to = min(to, max(mid[t], have[t]))
		}
		d := min(max(to-have[t], 0), budget)
		next[t] += d
		budget -= d
	}
	if mid != nil && slices.Equal(next, have) {
		return stepCounts(have, want, nil, budget)
	}
	return next
}

// applyLocked starts or stops users until next[t] run of each type t. It
// returns the users it took off the active lists, newest first, for
// stopUsers to stop once r.mu is released.
func (r *runner) applyLocked(next []int) (gone []*userHandle) {
	for t := range r.types {
		for len(r.active[t]) < next[t] {
			r.startLocked(t)
		}
		for len(r.active[t]) > next[t] {
			last := len(r.active[t]) - 1
			gone = append(gone, r.active[t][last])
			r.active[t][last] = nil
			r.active[t] = r.active[t][:last]
		}
	}
	return gone
}

// stopUsers asks users to stop, and kills them after the stop timeout (one
// timer for them all).
func (r *runner) stopUsers(hs []*userHandle) {
	if len(hs) == 0 {
		return
	}
	for _, h := range hs {
		h.requestStop()
	}
	kill := func() {
		for _, h := range hs {
			r.killUser(h)
		}
	}
	if r.opts.stopTimeout <= 0 {
		kill()
		return
	}
	time.AfterFunc(r.opts.stopTimeout, kill)
}

func (r *runner) startLocked(t int) {
	id := r.nextID
	r.nextID++
	ctx, cancel := context.WithCancel(r.ctx)
	h := &userHandle{id: id, typ: t, cancel: cancel}
	r.active[t] = append(r.active[t], h)
	h.x = &executor{r: r, h: h, typ: r.types[t]}
	r.users.Add(1)
	r.running.Add(1)
	go h.x.start(ctx, id)
}

// forget removes a user that stopped by itself from the active list.
func (r *runner) forget(h *userHandle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.active[h.typ]
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == h {
			r.active[h.typ] = append(a[:i], a[i+1:]...)
			return
		}
	}
}

// stop stops every user: they finish their current task, and are killed
// when the stop timeout expires. It waits for them up to the timeout plus
// grace, then returns the number of users that still had not returned
// (user code ignoring its context). stop is idempotent. It holds r.mu only
// to take the active lists whole, however many users run.
func (r *runner) stop(grace time.Duration) int {
	r.mu.Lock()
	if r.ramp != nil {
		r.ramp()
	}
	first := !r.stopped
	r.stopped = true
	all := r.active
	r.active = make([][]*userHandle, len(r.types))
	open := r.open
	r.mu.Unlock()
	if first && open != nil {
		close(open.halt) // wakes the dispatcher
	}
	r.rampWG.Wait()
	if first && open != nil {
		r.stopOpen()
	}

	if first {
		for _, a := range all {
			for _, h := range a {
				h.requestStop()
			}
		}
		if r.opts.stopTimeout <= 0 {
			r.kill()
		} else {
			t := time.AfterFunc(r.opts.stopTimeout, r.kill)
			defer t.Stop()
		}
	}
	done := make(chan struct{})
	go func() { r.users.Wait(); close(done) }()
	limit := time.NewTimer(r.opts.stopTimeout + grace)
	defer limit.Stop()
	select {
	case <-done:
		r.kill()
		return 0
	case <-limit.C:
		r.kill()
		return int(r.running.Load())
	}
}
