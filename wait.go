package herd

import (
	"context"
	"math/rand/v2"
	"time"
)

// WaitTime decides how long a user pauses after a task. elapsed is the time
// since the user's previous pause ended (the task's own run time), which
// pacing needs. Any function of this type works; it is called from the
// user's goroutine only.
//
// A wait time that needs its user's state is a method of the user: a user
// with a method
//
//	WaitTime(elapsed time.Duration) time.Duration
//
// waits what it returns instead of its UserType's Wait (Locust's wait_time
// method); task sets with a Wait of their own keep theirs.
type WaitTime func(elapsed time.Duration) time.Duration

// waitTimer is a user with a wait time of its own.
type waitTimer interface {
	WaitTime(elapsed time.Duration) time.Duration
}

// Sleep pauses for d, or until ctx is done: it returns nil after the
// pause, ctx.Err() when ctx ended first (its user was killed at the stop).
// A task that sleeps should return that error, which ends the task:
//
//	if err := herd.Sleep(ctx, time.Second); err != nil {
//		return err
//	}
//
// A graceful stop lets the current task finish, sleeps included; the kill
// (--stop-timeout) ends them.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wait pauses the user of ctx for its wait time, as between two tasks,
// like Locust's self.wait(): the wait time of the task set it runs (of
// the user's, its WaitTime method or its type's Wait, at the top), with
// the time since its last pause as elapsed. Call it from the user's own
// goroutine: a task, OnStart or a task set's OnStart.
//
// It returns nil after the pause (at once without a wait time),
// ErrStopUser when the user is asked to stop meanwhile (return it: the
// user stops, as a stop during the pause between tasks does), and
// ctx.Err() when the user is killed. Outside a user it waits nothing and
// returns ctx.Err().
func Wait(ctx context.Context) error {
	env := envFrom(ctx)
	if env == nil || env.x == nil || env.x.cur == nil {
		return ctx.Err()
	}
	x := env.x
	now := time.Now()
	var d time.Duration
	if w := x.cur.wait; w != nil {
		d = w(now.Sub(x.lastEnd))
	}
	if d <= 0 {
		x.lastEnd = now
	} else {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-x.h.stopCh():
		case <-ctx.Done():
		}
		t.Stop()
		x.lastEnd = time.Now()
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case x.stopping():
		return ErrStopUser
	}
	return nil
}

// Between waits a uniformly random time in [lo, hi], like Locust's between.
func Between(lo, hi time.Duration) WaitTime {
	if hi < lo {
		lo, hi = hi, lo
	}
	span := int64(hi - lo)
	return func(time.Duration) time.Duration {
		if span == 0 {
			return lo
		}
		return lo + time.Duration(rand.Int64N(span+1))
	}
}

// Constant always waits d.
func Constant(d time.Duration) WaitTime {
	return func(time.Duration) time.Duration { return d }
}

// ConstantPacing starts a task every interval at most: the pause is the
// interval minus the task's run time, or nothing when the task took longer.
func ConstantPacing(interval time.Duration) WaitTime {
	return func(elapsed time.Duration) time.Duration {
		return max(interval-elapsed, 0)
	}
}

// ConstantThroughput runs at most perSecond tasks a second per user
// (ConstantPacing of 1/perSecond). perSecond must be positive.
func ConstantThroughput(perSecond float64) WaitTime {
	if perSecond <= 0 {
		panic("herd: ConstantThroughput needs a positive rate")
	}
	return ConstantPacing(time.Duration(float64(time.Second) / perSecond))
}
