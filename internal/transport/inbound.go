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
}

// queue is a socket's receive queue plus its stop signal.
type queue struct {
	in   chan inbound
	stop chan struct{}
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

// get returns the next message, a PeerError, ctx's error or ErrClosed.
func (q queue) get(ctx context.Context) (inbound, error) {
	if q.stopped() {
		return inbound{}, ErrClosed
	}
	select {
	case x := <-q.in:
		return x, x.err
	case <-ctx.Done():
		return inbound{}, ctx.Err()
	case <-q.stop:
		return inbound{}, ErrClosed
	}
}

// deliverMessage queues a data message, or a PeerError for a message that
// is not exactly one frame; false once the socket is closed.
func (q queue) deliverMessage(l *link, msg zmtpMessage) bool {
	if len(msg.frames) != 1 {
		return q.put(inbound{identity: l.identity, err: &PeerError{
			Identity: l.identity, Remote: l.remote,
			Err: errorf(ErrMultipart, "%d frames; dropped", len(msg.frames)),
		}})
	}
	return q.put(inbound{identity: l.identity, payload: msg.frames[0]})
}

// reportReadError queues a PeerError for a read failure that is worth
// reporting: not a clean disconnect, and not a link we closed ourselves.
func (q queue) reportReadError(l *link, err error) {
	select {
	case <-l.done:
		return
	default:
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrProtocol) {
		return // connection reset and the like: a disconnect
	}
	q.put(inbound{identity: l.identity, err: &PeerError{Identity: l.identity, Remote: l.remote, Err: err}})
}
