package herd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// onStopTimeout bounds OnStop hooks, which run even after a user is killed.
const onStopTimeout = 10 * time.Second

// executor runs one user's tasks. A user waiting parkAfter or longer
// between tasks holds no goroutine (see park.go): its loop's place is kept
// in frames and a timer starts a new goroutine to resume it.
type executor struct {
	r       *runner
	h       *userHandle
	env     *userEnv
	typ     *userType
	ctx     context.Context // the user's, carrying env
	user    User
	set     *compiled   // the user's tasks
	cur     *compiled   // the task list running now, whose wait herd.Wait waits
	noWaits bool        // no task set has a wait time: waits skip the clock
	timer   *time.Timer // reused for every short wait
	lastEnd time.Time   // when the previous wait ended, for pacing
	lastErr error       // what the last call returned
	parking             // a long wait's state
	// restart is set while a user whose OnStart failed waits out its
	// back-off: resuming makes a new user (see startfail.go).
	restart bool
	// closeMu guards closers: clients made for the user (NewSession),
	// closed when it ends.
	closeMu sync.Mutex
	closers []func()
}

// outcome tells a task loop's caller why it returned.
type outcome int

const (
	outStop      outcome = iota // the user is being stopped (or killed)
	outStopUser                 // a task returned ErrStopUser
	outInterrupt                // a task set was interrupted
	outPark                     // a long wait: the goroutine ends, a timer resumes the user
)

// start sets a new user up, runs its OnStart, then its tasks. It runs on
// the user's first goroutine.
func (x *executor) start(ctx context.Context, id int) {
	x.setEnv(ctx, id)
	x.begin()
}

// setEnv gives the user its environment, which is x.ctx too.
func (x *executor) setEnv(ctx context.Context, id int) {
	r, t := x.r, x.typ
	env := &userEnv{
		id:       id,
		typeName: t.Name,
		host:     t.host,
		shard:    r.stats.Shard(id),
		events:   r.events,
		ctx:      ctx,
		timeout:  r.opts.requestTimeout,
		maxBody:  r.opts.maxBody,
		node:     r.opts.node,
		x:        x,
	}
	x.env, x.ctx = env, env
}

// begin makes the user (New, Tasks) and runs its OnStart, then its tasks.
// A user whose OnStart failed is replaced after a back-off: begin runs
// again, for a new user, when it is over.
func (x *executor) begin() {
	if !x.make() {
		return
	}
	r, ctx, env, u := x.r, x.ctx, x.env, x.user
	x.lastEnd = time.Now()
	if s, ok := u.(onStarter); ok {
		if err := x.onStart(s); err != nil {
			x.startFailed(err)
			return
		}
	}
	switch {
	case errors.Is(x.lastErr, ErrStopUser):
		x.finish(outStopUser)
	case x.stopping():
		x.finish(outStop)
	case errors.Is(x.lastErr, ErrStopTest):
		r.requestStopTest()
		x.finish(outStop)
	case r.open != nil:
		env.open = true
		x.finish(x.serve(ctx, x.set, r.open))
	default:
		x.run()
	}
}

// make makes the user with New, sets its client up and compiles its
// tasks. It returns false, having let the user go, when New failed.
func (x *executor) make() bool {
	r, t, ctx, env := x.r, x.typ, x.ctx, x.env
	var u User
	if !x.call(ctx, "New", nil, func(context.Context) error { u = t.New(); return nil }) || u == nil {
		r.forget(x.h)
		x.release()
		return false
	}
	x.user = u
	if in, ok := u.(initer); ok {
		in.herdInit(env)
	}
	var tasks []Task
	x.call(ctx, "Tasks", nil, func(context.Context) error { tasks = u.Tasks(); return nil })
	wait := t.Wait
	if w, ok := u.(waitTimer); ok {
		wait = w.WaitTime
	}
	x.set = compile(filterTasks(tasks, r.opts.tags, r.opts.exclude), false, wait)
	x.cur = x.set
	x.noWaits = !x.set.waits()
	return true
}

// run runs the user's task loop until the user ends, or parks it. After
// the back-off of a failed OnStart, it makes a new user instead.
func (x *executor) run() {
	if x.restart {
		x.restart, x.resuming = false, false
		if x.stopping() || x.ctx.Err() != nil {
			x.end()
			return
		}
		x.begin()
		return
	}
	out := x.loop(x.ctx, x.set, 0)
	if out == outPark {
		x.park() // last: from here another goroutine may resume the user
		return
	}
	x.finish(out)
}

// finish runs the user's OnStop and lets it go.
func (x *executor) finish(out outcome) {
	if s, ok := x.user.(onStopper); ok {
		x.callOnStop(x.ctx, s.OnStop)
	}
	if out == outStopUser {
		x.r.forget(x.h)
	}
	x.closeClients()
	x.end()
}

// closeClients closes the user's clients: its own and those made for it.
func (x *executor) closeClients() {
	if c, ok := x.user.(closer); ok {
		c.herdClose()
	}
	x.closeMu.Lock()
	closers := x.closers
	x.closers = nil
	x.closeMu.Unlock()
	for _, fn := range closers {
		fn()
	}
}

// onClose registers fn to run when the user ends.
func (env *userEnv) onClose(fn func()) {
	if x := env.x; x != nil {
		x.closeMu.Lock()
		x.closers = append(x.closers, fn)
		x.closeMu.Unlock()
	}
}

// end stops the user's timers and lets it go.
func (x *executor) end() {
	if x.timer != nil {
		x.timer.Stop()
	}
	if x.alarm != nil {
		x.alarm.Stop()
	}
	x.release()
}

// release tells the runner the user is gone.
func (x *executor) release() {
	x.r.killUser(x.h)
	x.r.running.Add(-1)
	x.r.users.Done()
}

// compiled is a task list ready to pick from.
type compiled struct {
	tasks      []Task
	cum        []int // cumulative weights
	sequential bool
	wait       WaitTime
	picks      int         // open model: picks so far, for sequential sets
	sets       []*compiled // per task: its compiled set, or nil; nil when no task has one
}

func compile(tasks []Task, sequential bool, wait WaitTime) *compiled {
	c := &compiled{tasks: tasks, sequential: sequential, wait: wait,
		cum: make([]int, len(tasks))}
	total := 0
	for i := range tasks {
		w := tasks[i].Weight
		if w == 0 {
			w = 1
		}
		total += w
		c.cum[i] = total
		if s := tasks[i].Set; s != nil {
			sw := s.Wait
			if sw == nil {
				sw = wait
			}
			if c.sets == nil {
				c.sets = make([]*compiled, len(tasks)) // only lists with a task set need it
			}
			c.sets[i] = compile(s.Tasks, s.Sequential, sw)
		}
	}
	return c
}

// set is task i's compiled set, or nil.
func (c *compiled) set(i int) *compiled {
	if c.sets == nil {
		return nil
	}
	return c.sets[i]
}

// waits reports whether c or a set nested in it has a wait time.
func (c *compiled) waits() bool {
	if c.wait != nil {
		return true
	}
	for _, sub := range c.sets {
		if sub != nil && sub.waits() {
			return true
		}
	}
	return false
}

// pick returns the index of the next task; n counts the picks so far.
func (c *compiled) pick(n int) int {
	if c.sequential {
		return n % len(c.tasks)
	}
	x := rand.IntN(c.cum[len(c.cum)-1])
	lo, hi := 0, len(c.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if c.cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// loop runs tasks until the user stops, a task stops the user, (below the
// top level, depth 0) a task interrupts the set, or the user parks: then
// each level saves its place in x.frames and returns outPark, and the
// resumed user comes back down the same path (x.resuming).
func (x *executor) loop(ctx context.Context, c *compiled, depth int) outcome {
	if len(c.tasks) == 0 {
		x.userError(ctx, "Tasks", errors.New("user has no tasks to run"), "")
		x.idle(ctx)
		return outStop
	}
	n, inSet := 0, -1 // inSet: the task set to go back into when resuming
	if x.resuming {
		f := x.frames[depth]
		n, inSet = f.n, f.set
		if inSet < 0 { // the level that waited: the wait is over
			x.resuming = false
			if ctx.Err() != nil {
				return outStop
			}
		}
	}
	for ; ; n++ {
		var i int
		if inSet >= 0 {
			i, inSet = inSet, -1
		} else {
			if x.stopping() {
				return outStop
			}
			i = c.pick(n)
		}
		t := &c.tasks[i]
		x.cur = c
		var err error
		if sub := c.set(i); sub != nil {
			switch x.enter(ctx, t.Set, sub, depth+1) {
			case outStop:
				return outStop
			case outStopUser:
				return outStopUser
			case outPark:
				x.save(depth, frame{n: n, set: i})
				return outPark
			}
			continue // an interrupted set reschedules its parent at once
		}
		if !x.call(ctx, "", t, t.Run) {
			err = errCaught
		} else {
			err = x.lastErr
		}
		switch {
		case errors.Is(err, ErrStopUser):
			return outStopUser
		case errors.Is(err, ErrStopTest):
			x.r.requestStopTest()
			return outStop
		case errors.Is(err, ErrInterrupt):
			if depth > 0 {
				return outInterrupt
			}
			continue
		case errors.Is(err, ErrReschedule):
			continue
		}
		switch x.wait(ctx, c.wait) {
		case waitStop:
			return outStop
		case waitPark:
			x.save(depth, frame{n: n + 1, set: -1})
			return outPark
		}
	}
}

// enter runs a nested task set from OnStart to OnStop. A parking user
// leaves it without OnStop, and comes back into it without OnStart.
func (x *executor) enter(ctx context.Context, s *TaskSet, c *compiled, depth int) outcome {
	resuming := x.resuming
	if !resuming && s.OnStart != nil {
		x.cur = c
		x.call(ctx, "TaskSet.OnStart", nil, s.OnStart)
		switch err := x.lastErr; {
		case errors.Is(err, ErrInterrupt):
			return outInterrupt
		case errors.Is(err, ErrStopUser): // as Locust: no OnStop for the set
			return outStopUser
		case errors.Is(err, ErrStopTest):
			x.r.requestStopTest()
			return outStop
		}
	}
	out := outStop
	if resuming || !x.stopping() {
		out = x.loop(ctx, c, depth)
	}
	if out == outPark {
		return outPark
	}
	if s.OnStop != nil {
		x.callOnStop(ctx, s.OnStop)
	}
	return out
}

// errCaught marks a task that panicked (already counted).
var errCaught = errors.New("herd: panic caught")

// call runs user code, catching panics and counting errors. It returns
// false when fn panicked. The returned error is left in x.lastErr.
// what names the hook; for a task, t is set and its name is used.
func (x *executor) call(ctx context.Context, what string, t *Task, fn func(context.Context) error) (ok bool) {
	x.lastErr = nil
	defer func() {
		if p := recover(); p != nil {
			ok = false
			x.userError(ctx, hookName(what, t), fmt.Errorf("panic: %v", p), string(debug.Stack()))
		}
	}()
	err := fn(ctx)
	x.lastErr = err
	if err == nil || isControl(err) || isRecorded(err) {
		return true
	}
	if x.env.ctx.Err() != nil {
		return true // killed mid-task: the error is the kill's, not the task's
	}
	x.userError(ctx, hookName(what, t), err, "")
	return true
}

func hookName(what string, t *Task) string {
	if t != nil {
		return taskName(t)
	}
	return what
}

// callOnStop runs an OnStop hook with a context that outlives a kill but is
// bounded, so a stop always ends.
func (x *executor) callOnStop(ctx context.Context, fn func(context.Context) error) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), onStopTimeout)
	defer cancel()
	x.call(stopCtx, "OnStop", nil, fn)
}

func isControl(err error) bool {
	return errors.Is(err, ErrStopUser) || errors.Is(err, ErrReschedule) ||
		errors.Is(err, ErrInterrupt) || errors.Is(err, ErrStopTest)
}

// userError counts an error or panic from user code and fires the event.
func (x *executor) userError(ctx context.Context, where string, err error, stack string) {
	ue := UserError{UserType: x.typ.Name, Task: where, Err: err, Panic: stack != "", Stack: stack}
	for _, fn := range x.r.events.userError {
		fn(ue)
	}
	msg := err.Error()
	origin := x.typ.Name + "." + where
	trace := "returned by " + origin
	if stack != "" {
		trace = trimStack(stack)
		origin = trace
	}
	x.env.shard.RecordError(msg, origin, trace)
}

// waited is how a wait ended.
type waited int

const (
	waitOn   waited = iota // go on with the next task
	waitStop               // the user must stop
	waitPark               // a long wait: park the user until x.wakeAt
)

// wait pauses after a task. A pause of parkAfter or more is not waited
// here: the loop parks the user instead.
func (x *executor) wait(ctx context.Context, w WaitTime) waited {
	if w == nil && x.noWaits { // nothing will ever need lastEnd: skip the clock
		if x.stopping() {
			return waitStop
		}
		return waitOn
	}
	now := time.Now()
	var d time.Duration
	if w != nil {
		d = w(now.Sub(x.lastEnd))
	}
	if d <= 0 {
		x.lastEnd = now
		if x.stopping() {
			return waitStop
		}
		return waitOn
	}
	if d >= parkAfter {
		x.wakeAt = now.Add(d)
		return waitPark
	}
	defer func() { x.lastEnd = time.Now() }()
	if x.timer == nil {
		x.timer = time.NewTimer(d)
	} else {
		x.timer.Reset(d)
	}
	select {
	case <-x.timer.C:
		if x.stopping() {
			return waitStop
		}
		return waitOn
	case <-x.h.stopCh():
		x.timer.Stop()
		return waitStop
	case <-ctx.Done():
		x.timer.Stop()
		return waitStop
	}
}

// idle parks a user that has nothing to do until it is stopped.
func (x *executor) idle(ctx context.Context) {
	select {
	case <-x.h.stopCh():
	case <-ctx.Done():
	}
}

func (x *executor) stopping() bool { return x.h.stopped.Load() }

// trimStack keeps the frames of a panic's stack that belong to user code:
// from the panicking function down to the task herd called, without
// argument values or offsets (they differ on every goroutine), at most 40
// lines.
func trimStack(stack string) string {
	lines := strings.Split(stack, "\n")
	start := 1 // skip "goroutine N [running]:"
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			start = i + 2 // skip "panic(…)" and its file line
			break
		}
	}
	var out []string
	for _, l := range lines[min(start, len(lines)):] {
		if strings.Contains(l, "herd.(*executor).") || strings.HasPrefix(l, "created by ") {
			break
		}
		if strings.HasPrefix(l, "\t") {
			if i := strings.LastIndex(l, " +0x"); i > 0 {
				l = l[:i]
			}
		} else if i := strings.LastIndex(l, "("); i > 0 && strings.HasSuffix(l, ")") {
			l = l[:i] + "(…)"
		}
		if l != "" {
			out = append(out, l)
		}
		if len(out) == 40 {
			out = append(out, "\t…")
			break
		}
	}
	return strings.Join(out, "\n")
}
