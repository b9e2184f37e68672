package transport

import (
	"context"
	"errors"
	"io"
	"net"
)

// inbound is one received message, or a non-fatal peer problem.
type inbound struct {
	identity string
	payload  []byte
	err      error
	held     int // bytes of the memory budget, given back when Recv returns it
}

// queue is a socket's receive queue plus its stop signal.
type queue struct {
	in   chan inbound
	stop chan struct{}
	mem  *budget // a Router's memory budget; nil for a Dealer
}

// newQueue returns a queue holding up to n messages.
func newQueue(n int) queue {
	return queue{in: make(chan inbound, n), stop: make(chan struct{})}
}

// stopped reports whether the socket is closed.
func (q queue) stopped() bool {
	select {
	case <-q.stop:
		return true
	default:
		return false
	}
}

// put queues x, blocking while the queue is full (which holds back the
// peer through TCP, like libzmq's receive high-water mark); false once the
// socket is closed.
func (q queue) put(x inbound) bool {
	select {
	case q.in <- x:
		return true
	case <-q.stop:
		return false
	}
}

// report queues a PeerError if the queue has room: a flood of bad
// connections must not hold their goroutines (and descriptors) waiting
// for the reader, nor crowd out messages.
func (q queue) report(pe *PeerError) {
	if q.stopped() {
		return
	}
	select {
	case q.in <- inbound{identity: pe.Identity, err: pe}:
	default:
	}
}

// get returns the next message, a PeerError, ctx's error or ErrClosed. The
// message's memory goes back to the budget: the caller owns it now.
func (q queue) get(ctx context.Context) (inbound, error) {
	if q.stopped() {
		return inbound{}, ErrClosed
	}
	select {
	case x := <-q.in:
		if x.held > 0 {
			q.mem.release(x.held)
		}
		return x, x.err
	case <-ctx.Done():
		return inbound{}, ctx.Err()
	case <-q.stop:
		return inbound{}, ErrClosed
	}
}

// deliverMessage queues a data message, or a PeerError for a message that
// is not exactly one frame; false once the socket is closed (the message's
// memory is then given back).
func (q queue) deliverMessage(l *link, msg zmtpMessage) bool {
	x := inbound{identity: l.identity, held: msg.held}
	if len(msg.frames) != 1 {
		x.err = &PeerError{Identity: l.identity, Remote: l.remote,
			Err: errorf(ErrMultipart, "%d frames; dropped", len(msg.frames))}
		if x.held > 0 {
			q.mem.release(x.held)
			x.held = 0
		}
	} else {
		x.payload = msg.frames[0]
	}
	if !q.put(x) {
		if x.held > 0 {
			q.mem.release(x.held)
		}
		return false
	}
	return true
}

// reportReadError queues a PeerError for a read failure that is worth
// reporting: not a clean disconnect, and not a link we closed ourselves.
func (q queue) reportReadError(l *link, err error) {
	select {
	case <-l.done:
		return
	default:
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.Canceled) {
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrTimeout) {
		return // connection reset and the like: a disconnect
	}
	q.report(&PeerError{Identity: l.identity, Remote: l.remote, Err: err})
}
