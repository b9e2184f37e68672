package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// connLimits is what a Router enforces on one connection while reading
// it: the idle and per-message read deadlines, the admission deadline,
// and the shared memory budget. Its methods are called by the
// connection's reader, except admit and shutdown.
type connLimits struct {
	nc          net.Conn
	mem         *budget
	ctx         context.Context // ends when the connection or the Router closes
	readTimeout time.Duration
	idleTimeout time.Duration
	admitWait   time.Duration // for messages: the admission timeout

	mu       sync.Mutex
	admitted bool
	admitCh  chan struct{} // closed on admission
	admitBy  time.Time     // zero: no admission deadline
	closing  bool          // shutdown owns the read deadline from now on
	target   time.Time     // the read deadline without the admission one
	msgBy    time.Time     // the current message's deadline; zero between messages
	msgCtx   context.Context
	msgStop  context.CancelFunc

	last atomic.Int64 // Unix ns of the last sign of life (a message begun or ended)
}

// newConnLimits returns the limits of a connection; admitBy is when it
// must be admitted (zero: it is admitted already).
func newConnLimits(ctx context.Context, nc net.Conn, o *options, mem *budget, admitBy time.Time) *connLimits {
	c := &connLimits{nc: nc, mem: mem, ctx: ctx, readTimeout: o.readTimeout, idleTimeout: o.idleTimeout,
		admitWait: o.admitTimeout, admitCh: make(chan struct{}), admitBy: admitBy}
	if admitBy.IsZero() {
		c.admitted = true
		close(c.admitCh)
	}
	c.alive()
	return c
}

// alive records a sign of life.
func (c *connLimits) alive() { c.last.Store(time.Now().UnixNano()) }

// silence is how long the connection has shown no sign of life.
func (c *connLimits) silence() time.Duration {
	return time.Since(time.Unix(0, c.last.Load()))
}

// admit lifts the admission deadline and the size limit of a connection
// not admitted yet. It reports whether it did anything.
func (c *connLimits) admit() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admitted {
		return false
	}
	c.admitted = true
	close(c.admitCh)
	if !c.closing {
		_ = c.nc.SetReadDeadline(c.target)
	}
	return true
}

// setDeadline makes t (zero: none) the read deadline, or the admission
// deadline when that comes first.
func (c *connLimits) setDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.target = t
	if !c.admitted && (t.IsZero() || c.admitBy.Before(t)) {
		t = c.admitBy
	}
	_ = c.nc.SetReadDeadline(t)
}

// shutdown hands the read deadline over to a closing socket.
func (c *connLimits) shutdown(deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	_ = c.nc.SetReadDeadline(deadline)
}

// next is called before waiting for a message's first byte.
func (c *connLimits) next() {
	c.mu.Lock()
	c.msgBy = time.Time{}
	if c.msgStop != nil {
		c.msgStop()
		c.msgCtx, c.msgStop = nil, nil
	}
	c.mu.Unlock()
	var t time.Time
	if c.idleTimeout > 0 {
		t = time.Now().Add(c.idleTimeout)
	}
	c.setDeadline(t)
}

// begin is called once a message's first byte arrived: the rest must
// follow within the read timeout.
func (c *connLimits) begin() {
	c.alive()
	by := time.Now().Add(c.readTimeout)
	c.mu.Lock()
	c.msgBy = by
	c.mu.Unlock()
	c.setDeadline(by)
}

// end is called when a message arrived in full.
func (c *connLimits) end() { c.alive() }

// reserve takes n bytes of the budget for the current message, after
// waiting for the admission of a connection not admitted yet. It fails
// when the connection closes, the admission deadline passes, or the
// message's deadline passes while it waits for memory.
func (c *connLimits) reserve(n int) error {
	c.mu.Lock()
	admitBy := c.admitBy
	c.mu.Unlock()
	select {
	case <-c.admitCh:
	default:
		t := time.NewTimer(time.Until(admitBy))
		defer t.Stop()
		select {
		case <-c.admitCh:
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-t.C:
			return errorf(ErrTimeout, "not admitted within %v", c.admitWait)
		}
	}
	c.mu.Lock()
	if c.msgCtx == nil {
		c.msgCtx, c.msgStop = context.WithDeadline(c.ctx, c.msgBy)
	}
	ctx := c.msgCtx
	c.mu.Unlock()
	if err := c.mem.acquire(ctx, n); err != nil {
		if c.ctx.Err() != nil {
			return c.ctx.Err()
		}
		return errorf(ErrTimeout, "no memory for a message within %v (memory budget spent)", c.readTimeout)
	}
	return nil
}

// release gives back n bytes of the budget.
func (c *connLimits) release(n int) { c.mem.release(n) }

// explain turns a read that hit its deadline into the reason: an
// admission, a message or the idle time that ran out.
func (c *connLimits) explain(err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing:
		return err
	case !c.admitted && !time.Now().Before(c.admitBy):
		return errorf(ErrTimeout, "not admitted within %v", c.admitWait)
	case !c.msgBy.IsZero():
		return errorf(ErrTimeout, "message not complete within %v", c.readTimeout)
	default:
		return errorf(ErrTimeout, "idle for %v", c.idleTimeout)
	}
}
