package herd

import (
	"context"
	"net"
	"sync"
	"time"
)

// fastAbort ends a FastSession's exchange in flight as soon as the context
// its request was made with is done, above all when its user is killed at
// the stop: fasthttp's reads and writes take no context, so it moves the
// connection's deadline to the past, and the request fails at once instead
// of waiting for its timeout.
//
// The session watches its user's kill from its first request until it
// closes: in a run, on the runner's list of the user's kill watchers
// (kill.go), which costs no object of its own and leaves the user's
// context without a Done channel or children; for a user's environment
// made outside a run, with a context.AfterFunc on the user's context. A
// request made with the task's ctx (or one whose Done is the user's)
// costs no allocation, only two uncontended lock pairs around each
// exchange. A request made with another cancellable context (a task's own
// sub-context, OnStop's, which outlives a kill) is watched on its own, one
// AfterFunc per request, and so is not aborted by a kill it does not
// descend from.
//
// A dial (resolve, connect and TLS handshake) is aborted too, by
// cancelling its context: the request then sent nothing and is not
// recorded, as the target got nothing (dialAside).
type fastAbort struct {
	mu      sync.Mutex
	conn    net.Conn           // the connection of the exchange in flight, or nil
	dial    context.CancelFunc // ends the dial in flight, or nil
	gen     uint64             // changes with every own watch, so a late one aborts nothing
	byUser  bool               // the exchange in flight is the user watch's to abort
	aborted bool               // conn's deadline was moved to the past

	// Touched only by the session's goroutine.
	listed   bool        // watch is on the user's kill list (in a run)
	direct   bool        // the request's ctx is done when the user's is
	watch    killWatch   // the node on the user's kill list
	stopUser func() bool // releases the AfterFunc user watch outside a run
}

// longAgo is a deadline every read and write has missed.
var longAgo = time.Unix(1, 0)

// arm sets up the watch for a request made with ctx by env's user. It
// returns the request's own watch to disarm, or nil.
func (a *fastAbort) arm(ctx context.Context, env *userEnv) (stop func() bool) {
	if !a.listed && a.stopUser == nil {
		a.watchUser(env)
	}
	// The task's own ctx is env: no Done channel asked of it.
	a.direct = ctx == context.Context(env)
	if a.direct {
		return nil
	}
	done := ctx.Done()
	if done == nil {
		return nil // nothing can cancel it
	}
	if a.direct = done == env.Done(); a.direct {
		return nil // the user watch covers it
	}
	a.mu.Lock()
	a.gen++
	gen := a.gen
	a.mu.Unlock()
	return context.AfterFunc(ctx, func() { a.ownDone(gen) })
}

// disarm releases a request's own watch, from arm.
func (a *fastAbort) disarm(stop func() bool) {
	if stop == nil {
		return
	}
	stop()
	a.mu.Lock()
	a.gen++ // a watch already running finds another generation
	a.mu.Unlock()
}

// watchUser starts the user watch: on the runner's kill list in a run,
// else with an AfterFunc on the user's context, if it can be cancelled.
func (a *fastAbort) watchUser(env *userEnv) {
	if x := env.x; x != nil && x.h != nil {
		a.listed, a.watch.w = true, a
		x.r.watchKill(x.h, &a.watch)
		return
	}
	if env.ctx.Done() != nil {
		a.stopUser = context.AfterFunc(env.ctx, a.userKilled)
	}
}

// close releases the user watch of env's user.
func (a *fastAbort) close(env *userEnv) {
	if a.listed {
		env.x.r.unwatchKill(env.x.h, &a.watch)
		a.listed = false
	}
	if a.stopUser != nil {
		a.stopUser()
		a.stopUser = nil
	}
}

// begin sets conn's deadline and makes conn the connection of the exchange
// in flight for a request made with ctx. It returns false, leaving conn
// alone, when ctx is already done: nothing is to be sent.
func (a *fastAbort) begin(ctx context.Context, conn net.Conn, deadline time.Time) (bool, error) {
	a.mu.Lock()
	// Checked under the lock: a watch that fired before found no
	// connection, and its context is done by now.
	if ctx.Err() != nil {
		a.mu.Unlock()
		return false, nil
	}
	// Under the lock too, so that an abort cannot come between and be
	// undone by this deadline.
	if err := conn.SetDeadline(deadline); err != nil {
		a.mu.Unlock()
		return false, err
	}
	a.conn, a.byUser, a.aborted = conn, a.direct, false
	a.mu.Unlock()
	return true, nil
}

// beginDial makes cancel the dial in flight's for a request made with
// ctx; false when ctx is already done: nothing is to be dialled.
func (a *fastAbort) beginDial(ctx context.Context, cancel context.CancelFunc) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ctx.Err() != nil { // under the lock: see begin
		return false
	}
	a.dial, a.byUser, a.aborted = cancel, a.direct, false
	return true
}

// endDial ends the dial in flight and reports whether it was aborted.
func (a *fastAbort) endDial() (aborted bool) {
	a.mu.Lock()
	aborted = a.aborted
	a.dial, a.aborted = nil, false
	a.mu.Unlock()
	return aborted
}

// end ends the exchange in flight and reports whether it was aborted.
func (a *fastAbort) end() (aborted bool) {
	a.mu.Lock()
	aborted = a.aborted
	a.conn, a.aborted = nil, false
	a.mu.Unlock()
	return aborted
}

// userKilled runs when the user is killed, after its context is done.
func (a *fastAbort) userKilled() {
	a.mu.Lock()
	if a.byUser {
		a.abortLocked()
	}
	a.mu.Unlock()
}

// ownDone runs when a request's own context is done.
func (a *fastAbort) ownDone(gen uint64) {
	a.mu.Lock()
	if !a.byUser && a.gen == gen {
		a.abortLocked()
	}
	a.mu.Unlock()
}

// abortLocked aborts the exchange or the dial in flight, if any.
func (a *fastAbort) abortLocked() {
	switch {
	case a.conn != nil:
		a.conn.SetDeadline(longAgo) // an error: the exchange fails anyway
	case a.dial != nil:
		a.dial()
	default:
		return
	}
	a.aborted = true
}
