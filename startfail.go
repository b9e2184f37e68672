package herd

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// A user whose OnStart fails (returns an error, a failed request's
// included, or panics) does not run its tasks half set up, logged out say:
// the failure is counted as a user error (OnStart's row of the errors
// table; a failed request also as a failure), the user stops without
// OnStop (it never started) and its clients are closed, and after a
// back-off a new user of the same type takes its place, from New and
// OnStart again. Meanwhile the user still counts toward the user count,
// which so stays the target.
//
// The back-off is per user type: 1 s after a first failure, doubling with
// each failure that comes after one back-off ended without an OnStart
// succeeding in between, up to 30 s; users of the type that fail during a
// back-off wait for its end too. Each back-off is logged once, at its
// start, with the error. OnStart returning ErrStopUser stops the user for
// good (after OnStop), ErrStopTest stops the test.
const (
	firstStartBackoff = time.Second
	maxStartBackoff   = 30 * time.Second
)

// startBackoff is one user type's back-off.
type startBackoff struct {
	failing atomic.Bool // a back-off is under way: an OnStart success resets it
	mu      sync.Mutex
	delay   time.Duration // the latest back-off
	until   time.Time     // when it ends
}

// failed returns how long a user whose OnStart failed at now waits before
// it is replaced, and whether a new back-off began (to be logged).
func (b *startBackoff) failed(now time.Time) (wait time.Duration, fresh bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failing.Store(true)
	if now.Before(b.until) {
		return b.until.Sub(now), false
	}
	b.delay = min(max(2*b.delay, firstStartBackoff), maxStartBackoff)
	b.until = now.Add(b.delay)
	return b.delay, true
}

// succeeded resets the doubling after an OnStart that succeeded; it costs
// one atomic load when no back-off is under way.
func (b *startBackoff) succeeded() {
	if !b.failing.Load() {
		return
	}
	b.mu.Lock()
	b.failing.Store(false)
	b.delay = 0
	b.mu.Unlock()
}

// onStart runs the user's OnStart. It returns the error of one that
// failed: an error (for a panic, errCaught), not one of the control
// errors (left in x.lastErr) nor the kill's.
func (x *executor) onStart(s onStarter) error {
	ok := x.call(x.ctx, "OnStart", nil, s.OnStart)
	err := x.lastErr
	switch {
	case !ok:
		return errCaught // counted by call
	case err == nil:
		x.r.backoffs[x.h.typ].succeeded()
		return nil
	case isControl(err) || x.env.ctx.Err() != nil:
		return nil
	case isRecorded(err):
		// Counted as a failed request; the user that could not start is
		// an error as well.
		x.userError(x.ctx, "OnStart", err, "")
	}
	return err
}

// startFailed lets go of a user whose OnStart failed and parks the
// executor for the type's back-off; run then makes a new user.
func (x *executor) startFailed(err error) {
	x.closeClients()
	x.user, x.set, x.cur = nil, nil, nil
	wait, fresh := x.r.backoffs[x.h.typ].failed(time.Now())
	if fresh {
		msg := err.Error()
		if errors.Is(err, errCaught) {
			msg = "panic (see the errors table)"
		}
		x.r.log.Warn("OnStart failed: the user stops and is replaced after a back-off",
			"user_type", x.typ.Name, "backoff", wait, "err", msg)
	}
	if x.stopping() || x.ctx.Err() != nil {
		x.end()
		return
	}
	x.restart = true
	x.wakeAt = time.Now().Add(wait)
	x.park()
}
