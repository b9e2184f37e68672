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

	stopTestOnce sync.Once
	stopTest     chan struct{} // closed when a task returns ErrStopTest

	mu      sync.Mutex
	active  [][]*userHandle // per type, oldest first
	nextID  int
	target  int
	ramp    context.CancelFunc // stops the current ramp
	rampWG  sync.WaitGroup
	stopped bool
	open    *openState // set in the open model (--arrival-rate)

	users   sync.WaitGroup
	running atomic.Int64 // users that have not ended
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
	typ    int
	stop   chan struct{} // closed: finish the current task, then stop
	cancel context.CancelFunc
	once   sync.Once
	x      *executor // wakes the user when it is parked
}

func (h *userHandle) requestStop() {
	h.once.Do(func() {
		close(h.stop)
		if h.x != nil {
			h.x.wake()
		}
	})
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
	r.mu.Unlock()

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

// setCount starts or stops users until n run, following the plan. It
// returns false once the runner is stopping.
func (r *runner) setCount(ctx context.Context, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || ctx.Err() != nil {
		return false
	}
	if r.open != nil {
		r.applyLocked(r.poolCounts(n))
	} else {
		r.applyLocked(r.plan.Counts(n))
	}
	return true
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

// setTypeCounts starts or stops users at once until each type runs the
// given count, as a worker does for its master's spawn messages. Types not
// named run none; unknown names are ignored. It cancels any ramp.
func (r *runner) setTypeCounts(counts map[string]int) {
	want := make([]int, len(r.types))
	for i, t := range r.types {
		want[i] = max(counts[t.Name], 0)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.ramp != nil {
		r.ramp()
	}
	r.applyLocked(want)
}

// applyLocked starts or stops users until want[t] run of each type t.
func (r *runner) applyLocked(want []int) {
	for t := range r.types {
		for len(r.active[t]) < want[t] {
			r.startLocked(t)
		}
		for len(r.active[t]) > want[t] {
			last := len(r.active[t]) - 1
			h := r.active[t][last]
			r.active[t] = r.active[t][:last]
			r.stopUser(h)
		}
	}
}

// stopUser asks one user to stop, and kills it after the stop timeout.
func (r *runner) stopUser(h *userHandle) {
	h.requestStop()
	if r.opts.stopTimeout <= 0 {
		h.cancel()
		return
	}
	time.AfterFunc(r.opts.stopTimeout, h.cancel)
}

func (r *runner) startLocked(t int) {
	id := r.nextID
	r.nextID++
	ctx, cancel := context.WithCancel(r.ctx)
	h := &userHandle{typ: t, stop: make(chan struct{}), cancel: cancel}
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
// (user code ignoring its context). stop is idempotent.
func (r *runner) stop(grace time.Duration) int {
	r.mu.Lock()
	if r.ramp != nil {
		r.ramp()
	}
	first := !r.stopped
	r.stopped = true
	var all []*userHandle
	for t, a := range r.active {
		all = append(all, a...)
		r.active[t] = nil
	}
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
		for _, h := range all {
			h.requestStop()
		}
		if r.opts.stopTimeout <= 0 {
			r.cancel()
		} else {
			t := time.AfterFunc(r.opts.stopTimeout, r.cancel)
			defer t.Stop()
		}
	}
	done := make(chan struct{})
	go func() { r.users.Wait(); close(done) }()
	limit := time.NewTimer(r.opts.stopTimeout + grace)
	defer limit.Stop()
	select {
	case <-done:
		r.cancel()
		return 0
	case <-limit.C:
		r.cancel()
		return int(r.running.Load())
	}
}
