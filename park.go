package herd

import (
	"math"
	"sync/atomic"
	"time"
)

// A user spends most of its life waiting between tasks. A goroutine
// blocked in that wait would keep its stack, which a request's deep call
// chain has grown to 8 KB or more: most of what 100,000 idle users cost.
// So a user whose wait is parkAfter or longer parks instead: its task
// loop saves its place (the picks and the task set it is in, per nesting
// level) in frames and returns, the goroutine ends, and a timer starts a
// fresh goroutine at the end of the wait that comes back down the same
// path. Shorter waits block as before: parking costs a goroutine start
// and the stack's regrowth, ~0.7 µs of CPU more than a blocking wait
// (BenchmarkWaitCPU), negligible against 10 ms.
const parkAfter = 10 * time.Millisecond

// parking is an executor's state across a long wait.
type parking struct {
	frames   []frame   // per nesting level, where the loop goes on
	resuming bool      // coming back down to the level that waited
	wakeAt   time.Time // when the wait ends
	// parked is set while no goroutine runs the user; whoever clears it
	// (the alarm, or a stop) resumes the user.
	parked atomic.Bool
	alarm  *time.Timer // runs fire at wakeAt
}

// frame is where a parked user's loop goes on at one nesting level.
type frame struct {
	n   int // the level's picks so far
	set int // the task set (task index) the user is in, or -1 at the level that waited
}

func (x *executor) save(depth int, f frame) {
	for len(x.frames) <= depth {
		x.frames = append(x.frames, frame{})
	}
	x.frames[depth] = f
}

// park arms the alarm; it is the last thing the user's goroutine does.
func (x *executor) park() {
	if x.alarm == nil {
		// Made stopped-in-all-but-name before parked is set, so that a
		// stop that sees parked always finds the alarm.
		x.alarm = time.AfterFunc(math.MaxInt64, x.fire)
	}
	x.parked.Store(true)
	x.alarm.Reset(time.Until(x.wakeAt))
	if x.stopping() || x.ctx.Err() != nil {
		x.wake() // a stop that came before parked was set
	}
}

// fire runs on the alarm's own goroutine at the end of the wait.
func (x *executor) fire() {
	if x.parked.CompareAndSwap(true, false) {
		x.resume()
	}
}

// wake resumes a parked user at once, to stop; it does nothing when the
// user is running. requestStop calls it.
func (x *executor) wake() {
	if x.parked.CompareAndSwap(true, false) {
		x.alarm.Stop()
		go x.resume()
	}
}

func (x *executor) resume() {
	x.lastEnd = time.Now()
	x.resuming = true
	x.run()
}
