package transport

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// outItem is one queued write: a one-frame message, or a PONG command.
type outItem struct {
	payload []byte
	pong    bool
}

// link is one established ZMTP connection. Its reader is the goroutine
// that calls read; its writer is writeLoop, the only goroutine that writes
// to the connection, so frames never interleave.
type link struct {
	nc       net.Conn
	zc       *zmq4.Conn
	br       *bufio.Reader
	identity string // the peer's identity (the Router's routing id)
	remote   string
	max      int
	lim      *connLimits // a Router's limits; nil for a Dealer
	stop     func()      // called by close: ends the reader's waits; may be nil

	done      chan struct{} // closed by close
	closeOnce sync.Once
}

// newLink wraps a connection that has completed its handshake.
func newLink(nc net.Conn, zc *zmq4.Conn, identity string, max int) *link {
	return &link{
		nc:       nc,
		zc:       zc,
		br:       bufio.NewReader(nc),
		identity: identity,
		remote:   nc.RemoteAddr().String(),
		max:      max,
		done:     make(chan struct{}),
	}
}

// close closes the connection once; blocked reads and writes return.
func (l *link) close() {
	l.closeOnce.Do(func() {
		close(l.done)
		if l.stop != nil {
			l.stop()
		}
		_ = l.nc.Close()
	})
}

// shutdown ends a link gracefully, once its writer flushed: FIN follows
// the last message, and the reader, which drains (see drain) until the
// peer closes too, gives up at deadline.
func (l *link) shutdown(deadline time.Time) {
	if hc, ok := l.nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	if l.lim != nil {
		l.lim.shutdown(deadline) // the reader's deadlines stop here
		return
	}
	_ = l.nc.SetReadDeadline(deadline)
}

// drain reads and discards until the peer closes the connection or the
// read deadline passes. Closing a socket with unread input makes the
// kernel send RST instead of FIN, and a peer that receives RST discards
// what it received but did not read yet: our last messages (a worker's
// final report and quit, or the master's quit).
func (l *link) drain() {
	_, _ = io.Copy(io.Discard, l.br)
}

// read returns the next data message, answering PINGs on the way (by
// queueing a PONG on out) and skipping other commands.
func (l *link) read(out chan<- outItem) (zmtpMessage, error) {
	for {
		msg, err := msgReader{br: l.br, max: l.max, lim: l.lim}.read()
		if err != nil || !msg.command {
			return msg, err
		}
		if l.lim != nil {
			l.lim.release(msg.held) // commands are handled here and now
		}
		name, body, err := parseCommand(msg.frames[0])
		if err != nil {
			return zmtpMessage{}, err
		}
		if name == zmq4.CmdPing {
			select {
			case out <- outItem{payload: bytes.Clone(pingContext(body)), pong: true}: // not a slice of a large frame
			default: // queue full: the peer will retry or time out
			}
		}
	}
}

// write sends one item through zmq4's framing.
func (l *link) write(it outItem) error {
	if it.pong {
		return l.zc.SendCmd(zmq4.CmdPong, it.payload)
	}
	return l.zc.SendMsg(zmq4.NewMsg(it.payload))
}

// writeLoop writes items from out until the link closes or stop is
// closed; on stop it keeps writing what is already queued for up to linger.
func (l *link) writeLoop(out <-chan outItem, stop <-chan struct{}, linger time.Duration) {
	for {
		select {
		case <-l.done:
			return
		case <-stop:
			l.flush(out, linger)
			return
		case it := <-out:
			if err := l.write(it); err != nil {
				l.close()
				return
			}
		}
	}
}

// flush writes the items already queued on out, within linger.
func (l *link) flush(out <-chan outItem, linger time.Duration) {
	if linger <= 0 {
		return
	}
	_ = l.nc.SetWriteDeadline(time.Now().Add(linger))
	for {
		select {
		case it := <-out:
			if l.write(it) != nil {
				return
			}
		default:
			return
		}
	}
}
