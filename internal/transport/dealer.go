package transport

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-zeromq/zmq4"
)

// Dealer is the worker's side: a ZeroMQ DEALER connected to one ROUTER,
// announcing a fixed identity (the worker's node id) in its READY command.
//
// Like libzmq, it reconnects on its own when the connection drops, and
// messages sent meanwhile wait in the send queue (up to the queue size,
// libzmq's high-water mark) and go out on the new connection.
type Dealer struct {
	opts     options
	addr     string
	identity string
	q        queue
	out      chan outItem

	ctx    context.Context // canceled by Close: aborts dials
	cancel context.CancelFunc

	mu        sync.Mutex
	cur       *link // current connection, nil while (re)connecting
	wg        sync.WaitGroup
	writers   sync.WaitGroup
	closeOnce sync.Once
}

// DialDealer connects a DEALER with the given identity to endpoint
// ("tcp://host:port"). It retries after the reconnect interval (growing
// up to WithReconnectIntervalMax) until the first connection and
// handshake succeed or ctx ends; afterwards ctx no longer matters and the
// Dealer lives until Close. Each attempt, TCP connect and handshake, is
// bounded by the handshake timeout. The identity must be 1–255 bytes of
// valid UTF-8 not starting with a zero byte (libzmq reserves those for
// generated ids; Locust decodes the id as UTF-8).
func DialDealer(ctx context.Context, endpoint, identity string, opts ...Option) (*Dealer, error) {
	if err := checkIdentity(identity); err != nil {
		return nil, err
	}
	addr, err := parseEndpoint(endpoint, false)
	if err != nil {
		return nil, err
	}
	o := resolve(opts)
	d := &Dealer{
		opts:     o,
		addr:     addr,
		identity: identity,
		q:        newQueue(o.queueSize),
		out:      make(chan outItem, o.queueSize),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	first, err := d.connect(ctx, false)
	if err != nil {
		d.cancel()
		return nil, err
	}
	d.install(first) // before returning, so Send then Close flushes on it
	d.wg.Add(1)
	go d.run(first)
	return d, nil
}

// checkIdentity validates a DEALER identity.
func checkIdentity(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("transport: empty identity (the ROUTER would invent one that never matches the node id)")
	case len(id) > 255:
		return fmt.Errorf("transport: identity of %d bytes, ZMTP allows 255", len(id))
	case id[0] == 0:
		return fmt.Errorf("transport: identity starts with a zero byte, reserved by libzmq")
	case !utf8.ValidString(id):
		return fmt.Errorf("transport: identity %q is not valid UTF-8", id)
	}
	return nil
}

// Identity returns the Dealer's identity.
func (d *Dealer) Identity() string { return d.identity }

// Send queues payload as one frame. It does not wait for the write; it
// returns ErrQueueFull when the queue is full (the message is dropped) and
// ErrClosed after Close. The Dealer keeps payload: do not modify it
// afterwards.
func (d *Dealer) Send(payload []byte) error {
	if d.q.stopped() {
		return ErrClosed
	}
	select {
	case d.out <- outItem{payload: payload}:
		return nil
	default:
		return ErrQueueFull
	}
}

// Recv returns the next message. A *PeerError (a multi-frame or oversized
// message) is returned as the error without a payload and is not fatal.
func (d *Dealer) Recv(ctx context.Context) ([]byte, error) {
	x, err := d.q.get(ctx)
	return x.payload, err
}

// Reconnect drops the current connection and connects anew with the same
// identity, as a Locust worker does on the master's "reconnect". Queued
// outgoing messages are sent on the new connection. It does not wait for
// the new connection.
func (d *Dealer) Reconnect() error {
	if d.q.stopped() {
		return ErrClosed
	}
	d.mu.Lock()
	l := d.cur
	d.mu.Unlock()
	if l != nil {
		l.close()
	}
	return nil
}

// Close writes what is already queued and closes the connection once the
// peer closed its side too (so that what was written arrives: see
// link.drain), for at most the linger time in all, then waits for all of
// the Dealer's goroutines.
func (d *Dealer) Close() error {
	d.closeOnce.Do(func() {
		deadline := time.Now().Add(d.opts.linger)
		d.mu.Lock()
		close(d.q.stop)
		l := d.cur
		d.mu.Unlock()
		if l != nil {
			_ = l.nc.SetWriteDeadline(deadline)
		}
		d.writers.Wait()
		d.cancel()
		if l != nil {
			l.shutdown(deadline)
		}
		d.wg.Wait()
	})
	return nil
}

// run serves one connection after another until Close. l is installed.
func (d *Dealer) run(l *link) {
	defer d.wg.Done()
	for {
		if !d.serve(l) {
			return
		}
		var err error
		if l, err = d.connect(d.ctx, true); err != nil {
			return // closed
		}
		if !d.install(l) {
			return
		}
	}
}

// install makes l the current connection, so that a Close right after
// flushes what was sent on it; false once the Dealer is closed.
func (d *Dealer) install(l *link) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.q.stopped() {
		l.close()
		return false
	}
	d.cur = l
	d.writers.Add(1)
	return true
}

// serve runs the installed connection l until it ends; false once the
// Dealer is closed.
func (d *Dealer) serve(l *link) bool {
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		defer d.writers.Done()
		l.writeLoop(d.out, d.q.stop, d.opts.linger)
	}()
	for {
		msg, err := l.read(d.out)
		if err != nil {
			d.q.reportReadError(l, err)
			break
		}
		if !d.q.deliverMessage(l, msg) {
			l.drain() // closed: until Close's shutdown ends it
			break
		}
	}
	l.close()
	<-wrote
	d.mu.Lock()
	d.cur = nil
	d.mu.Unlock()
	return !d.q.stopped()
}

// DialAttempt is one of a Dealer's connection attempts, as the function
// given to WithDialMonitor sees it.
type DialAttempt struct {
	Addr string // host:port
	// Try counts the attempts since the last connection ended (or since
	// DialDealer began), from 1.
	Try int
	// Reconnect: a connection was lost (or Reconnect was called) before;
	// false while DialDealer makes its first connection.
	Reconnect bool
	// Err is why the attempt failed (a dial or handshake error); nil when
	// it connected.
	Err error
	// Wait is the pause before the next attempt, after a failure.
	Wait time.Duration
}

// WithDialMonitor calls f after each connection attempt of a Dealer,
// failed or not, but not for one that Close or DialDealer's context
// ended. f runs on the goroutine that dials (DialDealer's caller for the
// first connection), before the pause that follows a failure, and must
// not block.
func WithDialMonitor(f func(DialAttempt)) Option {
	return func(o *options) { o.monitor = f }
}

// WithReconnectIntervalMax makes a Dealer's pause between failed
// connection attempts double after each one, from the reconnect interval
// up to limit (libzmq's ZMQ_RECONNECT_IVL_MAX); the next connection starts
// over. 0, the default, keeps the pause fixed.
func WithReconnectIntervalMax(limit time.Duration) Option {
	return func(o *options) {
		if limit >= 0 {
			o.reconnectMax = limit
		}
	}
}

// connect dials and handshakes, retrying after the reconnect interval
// (growing up to reconnectMax) until it succeeds or ctx ends.
func (d *Dealer) connect(ctx context.Context, reconnect bool) (*link, error) {
	wait := d.opts.reconnectInterval
	for try := 1; ; try++ {
		l, err := d.dialOnce(ctx)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("transport: connect to %s: %w (last error: %v)", d.addr, ctx.Err(), err)
		}
		if d.opts.monitor != nil {
			a := DialAttempt{Addr: d.addr, Try: try, Reconnect: reconnect, Err: err}
			if err != nil {
				a.Wait = wait
			}
			d.opts.monitor(a)
		}
		if err == nil {
			return l, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("transport: connect to %s: %w (last error: %v)", d.addr, ctx.Err(), err)
		case <-t.C:
		}
		if d.opts.reconnectMax > wait {
			wait = min(2*wait, d.opts.reconnectMax)
		}
	}
}

// dialOnce makes one connection attempt, bounded by the handshake
// timeout; ctx also aborts the handshake.
func (d *Dealer) dialOnce(ctx context.Context) (*link, error) {
	dialCtx, cancel := context.WithTimeout(ctx, d.opts.handshakeTimeout)
	nc, err := d.opts.dialTCP(dialCtx, d.addr)
	cancel()
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	zc, err := handshake(nc, zmq4.Dealer, d.identity, d.opts.token, d.opts.handshakeTimeout)
	if !stop() || err != nil {
		_ = nc.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	return newLink(nc, zc, "", d.opts.maxMessageSize), nil
}
