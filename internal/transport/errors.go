package transport

import (
	"errors"
	"fmt"
)

// Errors returned by Dealer and Router.
var (
	// ErrClosed is returned by operations on a closed socket.
	ErrClosed = errors.New("transport: socket closed")
	// ErrQueueFull is returned by a send whose queue (the high-water mark)
	// is full; the message is dropped, as libzmq drops or refuses it.
	ErrQueueFull = errors.New("transport: send queue full")
	// ErrNoPeer is returned by Router.SendTo for an identity with no live
	// connection (libzmq silently drops such messages).
	ErrNoPeer = errors.New("transport: no peer with that identity")
	// ErrMultipart reports a message of more than one frame; Locust
	// messages are always exactly one frame.
	ErrMultipart = errors.New("transport: multi-frame message")
	// ErrTooLarge reports a message above the size cap; the connection
	// is dropped because the stream cannot be resynchronised cheaply.
	ErrTooLarge = errors.New("transport: message too large")
	// ErrHandshake reports a failed ZMTP handshake.
	ErrHandshake = errors.New("transport: ZMTP handshake failed")
	// ErrProtocol reports a ZMTP framing violation.
	ErrProtocol = errors.New("transport: ZMTP protocol error")
	// ErrTimeout reports a connection dropped for being late: a message
	// not complete within the read timeout, no message within the idle
	// timeout, or no admission within the admission timeout.
	ErrTimeout = errors.New("transport: peer too slow")
	// ErrRefused reports a connection refused or dropped by a Router's
	// limits: too many connections, or an identity already in use.
	ErrRefused = errors.New("transport: connection refused")
	// ErrToken reports a peer without the Router's token, or with a wrong
	// one; its connection is closed before any message is read.
	ErrToken = errors.New("transport: missing or wrong token")
	// ErrReplaced reports a connection closed because a new one took its
	// identity after it had been silent (see Router).
	ErrReplaced = errors.New("transport: connection replaced")
)

// PeerError reports a problem with one peer or one of its messages. It is
// not fatal to the socket: keep calling Recv.
type PeerError struct {
	// Identity is the peer's identity if known ("" before the handshake).
	Identity string
	// Remote is the peer's network address.
	Remote string
	// Err is the problem, wrapping one of this package's errors.
	Err error
}

// Error describes the problem.
func (e *PeerError) Error() string {
	if e.Identity == "" {
		return fmt.Sprintf("transport: peer %s: %v", e.Remote, e.Err)
	}
	return fmt.Sprintf("transport: peer %q (%s): %v", e.Identity, e.Remote, e.Err)
}

// Unwrap returns Err.
func (e *PeerError) Unwrap() error { return e.Err }

// errorf wraps sentinel with a formatted detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
