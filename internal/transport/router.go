package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Router is the master's side: a ZeroMQ ROUTER bound to a TCP address.
// It receives [identity, payload] from every connected Dealer and sends
// payloads to one identity.
//
// Identities: a peer's identity is the Identity of its READY command
// (Locust workers send their node id); a peer without one gets a 5-byte id
// starting with 0x00, as libzmq generates. Recv reports the identity of
// the connection a message came on, whatever the message says.
//
// A new connection that announces an identity already connected does not
// take it from a live connection: it waits until the older connection
// closes, or has been silent (no message begun) for 3 seconds, three
// missed heartbeats, and then takes over, closing the older one (reported
// as ErrReplaced); if that does not happen within the handshake (or
// admission) timeout, it is refused (ErrRefused). A worker that
// reconnects after a network failure gets its identity back; a peer that
// copies a live worker's identity does not.
//
// Limits (see Limits; every problem is reported through Recv as a
// *PeerError, and Recv drops such reports when its queue is full, so
// that a flood of bad connections costs no more than they do):
//   - MaxConnections open connections, and MaxPending not admitted yet,
//     where a new connection replaces the oldest pending one;
//   - each handshake within the handshake timeout;
//   - with an AdmitTimeout, admission (Router.Admit, e.g. once a worker
//     registered) within it, or the connection is dropped; until then a
//     peer may send messages of up to 4 KiB only;
//   - MaxMessageSize per message, whose bytes must all arrive within
//     ReadTimeout of its first one, and IdleTimeout without a message;
//   - MemoryBudget over the messages being received and queued: memory is
//     taken as bytes arrive (never for a declared size), and a message
//     that finds the budget spent waits, within its ReadTimeout.
//
// Token: with WithToken, a peer must present the same token in its READY
// command (herd's Dealers do, with the same option); a peer without it,
// such as a Locust worker, or with a wrong one is refused (ErrToken)
// right after the handshake, before any of its messages is read. The
// token is compared in constant time through a hash; it is not
// encrypted on the wire.
type Router struct {
	opts   options
	ln     net.Listener
	q      queue
	mem    *budget
	ctx    context.Context // canceled by Close: ends waits for memory
	cancel context.CancelFunc

	mu      sync.Mutex
	peers   map[string]*routerPeer // routing table: identity → live link
	conns   map[net.Conn]*conn     // every open connection
	open    int                    // connections counted against MaxConnections
	pending int                    // connections not admitted yet
	members map[string]bool        // identities admitted (Admit) until Forget
	anon    uint32                 // last generated identity

	wg        sync.WaitGroup // every goroutine
	writers   sync.WaitGroup // writer goroutines (flushed first on Close)
	closeOnce sync.Once
}

// conn is one accepted connection, from accept to close.
type conn struct {
	nc       net.Conn
	accepted time.Time
	admitBy  time.Time     // zero: admitted once registered
	pending  bool          // counted in Router.pending
	evicted  chan struct{} // closed when the Router drops it to make room
	peer     *routerPeer   // once registered
	ctx      context.Context
	cancel   context.CancelFunc // ends its waits: on eviction, close and return
}

// routerPeer is one connected peer with its send queue.
type routerPeer struct {
	*link
	out  chan outItem
	conn *conn
}

// ListenRouter binds a ROUTER to endpoint, "tcp://host:port" ("*" for all
// interfaces, port 0 for a free port; see Endpoint and Port). ctx bounds
// the bind only; the Router lives until Close.
func ListenRouter(ctx context.Context, endpoint string, opts ...Option) (*Router, error) {
	addr, err := parseEndpoint(endpoint, true)
	if err != nil {
		return nil, err
	}
	o := resolve(opts)
	ln, err := o.listenTCP(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen on %s: %w", endpoint, err)
	}
	r := &Router{
		opts:    o,
		ln:      ln,
		q:       newQueue(o.queueSize),
		mem:     newBudget(o.memoryBudget),
		peers:   map[string]*routerPeer{},
		conns:   map[net.Conn]*conn{},
		members: map[string]bool{},
		anon:    randomUint32(),
	}
	r.q.mem = r.mem
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.acceptLoop()
	return r, nil
}

// Addr returns the bound address.
func (r *Router) Addr() net.Addr { return r.ln.Addr() }

// Port returns the bound TCP port.
func (r *Router) Port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// Endpoint returns "tcp://<bound address>", e.g. "tcp://127.0.0.1:40123".
func (r *Router) Endpoint() string { return "tcp://" + r.ln.Addr().String() }

// Peers returns the identities with a live connection, sorted.
func (r *Router) Peers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.peers))
	for id := range r.peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Admit makes identity a member: its connection, now and whenever it
// connects again until Forget, is admitted (see Limits.AdmitTimeout).
func (r *Router) Admit(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members[identity] = true
	if p := r.peers[identity]; p != nil {
		r.admitLocked(p.conn)
	}
}

// Forget ends identity's membership: a later connection with it must be
// admitted again. Its current connection stays as it is.
func (r *Router) Forget(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, identity)
}

// Recv returns the next message and its sender's identity. A *PeerError
// (malformed multi-frame message, oversized or late message, failed
// handshake, refused connection, protocol violation) is returned as the
// error without a payload and is not fatal: keep calling Recv. ErrClosed
// and ctx's error are final for this call.
func (r *Router) Recv(ctx context.Context) (identity string, payload []byte, err error) {
	x, err := r.q.get(ctx)
	return x.identity, x.payload, err
}

// SendTo queues payload, as one frame, for the peer with identity. It does
// not wait for the write; it returns ErrNoPeer if no such peer is
// connected and ErrQueueFull if its queue is full (the message is then
// dropped). The Router keeps payload: do not modify it afterwards.
func (r *Router) SendTo(identity string, payload []byte) error {
	if r.q.stopped() {
		return ErrClosed
	}
	r.mu.Lock()
	p := r.peers[identity]
	r.mu.Unlock()
	if p == nil {
		return errorf(ErrNoPeer, "%q", identity)
	}
	select {
	case p.out <- outItem{payload: payload}:
		return nil
	default:
		return errorf(ErrQueueFull, "peer %q", identity)
	}
}

// Close stops accepting, writes what is already queued and closes each
// peer's connection once the peer closed its side too (so that what was
// written arrives: see link.drain), for at most the linger time in all;
// connections still in their handshake are closed at once. It waits for
// all of the Router's goroutines to end.
func (r *Router) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		close(r.q.stop)
		r.cancel()
		deadline := time.Now().Add(r.opts.linger)
		for _, p := range r.peers {
			_ = p.nc.SetWriteDeadline(deadline)
		}
		r.mu.Unlock()
		_ = r.ln.Close()
		r.writers.Wait()
		r.mu.Lock()
		for nc, c := range r.conns {
			if c.peer != nil && r.peers[c.peer.identity] == c.peer {
				c.peer.shutdown(deadline)
			} else {
				_ = nc.Close()
			}
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return nil
}

// acceptLoop accepts connections until the listener is closed.
func (r *Router) acceptLoop() {
	defer r.wg.Done()
	for {
		nc, err := r.ln.Accept()
		if err != nil {
			if r.q.stopped() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off briefly.
			select {
			case <-r.q.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		c, open := r.track(nc)
		if !open {
			_ = nc.Close()
			return
		}
		if c == nil {
			_ = nc.Close() // over the connection limit
			continue
		}
		go r.serve(c)
	}
}

// track records a new connection, within the limits: nil when it is
// refused, open false once the Router is closed. A new connection beyond
// MaxPending, or beyond MaxConnections while some are pending, replaces
// the oldest pending one: a flood of connections that never become peers
// delays a real one by no more than its own handshake.
func (r *Router) track(nc net.Conn) (c *conn, open bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.q.stopped() {
		return nil, false
	}
	if r.pending >= r.opts.maxPending || r.open >= r.opts.maxConnections && r.pending > 0 {
		var oldest *conn
		for _, o := range r.conns {
			if o.pending && (oldest == nil || o.accepted.Before(oldest.accepted)) {
				oldest = o
			}
		}
		r.evictLocked(oldest)
	}
	if r.open >= r.opts.maxConnections {
		r.q.report(&PeerError{Remote: nc.RemoteAddr().String(),
			Err: errorf(ErrRefused, "%d connections open, the limit", r.open)})
		return nil, true
	}
	now := time.Now()
	c = &conn{nc: nc, accepted: now, pending: true, evicted: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(r.ctx)
	if r.opts.admitTimeout > 0 {
		c.admitBy = now.Add(r.opts.admitTimeout)
	}
	r.pending++
	r.open++
	r.conns[nc] = c
	r.wg.Add(1)
	return c, true
}

// evictLocked drops a pending connection to make room for a new one. It
// no longer counts as open, although its goroutine may take a moment to
// end.
func (r *Router) evictLocked(c *conn) {
	r.unpendLocked(c)
	r.open--
	close(c.evicted)
	c.cancel()
	_ = c.nc.Close()
	id := ""
	if c.peer != nil {
		id = c.peer.identity
	}
	r.q.report(&PeerError{Identity: id, Remote: c.nc.RemoteAddr().String(),
		Err: errorf(ErrRefused, "too many connections waiting for admission: dropped the oldest")})
}

// unpendLocked stops counting c as pending.
func (r *Router) unpendLocked(c *conn) {
	if c.pending {
		c.pending = false
		r.pending--
	}
}

// admitLocked admits c's peer.
func (r *Router) admitLocked(c *conn) {
	if c == nil || c.peer == nil {
		return
	}
	r.unpendLocked(c)
	c.peer.lim.admit()
}

// untrack forgets a connection whose goroutine ends, and closes it.
func (r *Router) untrack(c *conn) {
	r.mu.Lock()
	select {
	case <-c.evicted: // no longer counted
	default:
		r.open--
	}
	r.unpendLocked(c)
	delete(r.conns, c.nc)
	r.mu.Unlock()
	c.cancel()
	_ = c.nc.Close()
}

// evictedOrClosed reports whether c was dropped, or the Router closed:
// c's failures are then not worth reporting.
func (r *Router) evictedOrClosed(c *conn) bool {
	select {
	case <-c.evicted:
		return true
	default:
		return r.q.stopped()
	}
}

// deadline is when c must be registered: its admission deadline, or the
// end of its handshake time.
func (r *Router) deadline(c *conn) time.Time {
	d := c.accepted.Add(r.opts.handshakeTimeout)
	if !c.admitBy.IsZero() && c.admitBy.Before(d) {
		d = c.admitBy
	}
	return d
}

// serve runs one connection: handshake, token, registration, reading.
func (r *Router) serve(c *conn) {
	defer r.wg.Done()
	defer r.untrack(c)
	nc := c.nc
	zc, err := handshake(nc, zmq4.Router, "", "", time.Until(r.deadline(c)))
	if err != nil {
		if !r.evictedOrClosed(c) {
			r.q.report(&PeerError{Remote: nc.RemoteAddr().String(), Err: err})
		}
		return
	}
	id := peerIdentity(zc)
	if r.opts.token != "" && !tokenOK(zc.Peer.Meta, r.opts.token) {
		r.q.report(&PeerError{Identity: id, Remote: nc.RemoteAddr().String(),
			Err: errorf(ErrToken, "READY without the token's proof, or a wrong one")})
		r.hold(c, tokenPenalty)
		return
	}
	if id == "" {
		id = r.newAnonymousID()
	}
	l := newLink(nc, zc, id, r.opts.maxMessageSize)
	l.lim = newConnLimits(c.ctx, nc, &r.opts, r.mem, c.admitBy)
	l.stop = c.cancel
	p := &routerPeer{link: l, out: make(chan outItem, r.opts.queueSize), conn: c}
	if !r.claim(p, c) {
		return
	}
	go func() {
		defer r.wg.Done()
		defer r.writers.Done()
		p.writeLoop(p.out, r.q.stop, r.opts.linger)
	}()
	defer r.unregister(p)
	defer p.close()
	for {
		msg, err := p.read(p.out)
		if err != nil {
			if !r.evictedOrClosed(c) {
				r.q.reportReadError(p.link, p.lim.explain(err))
			}
			return
		}
		if !r.q.deliverMessage(p.link, msg) {
			p.drain() // closed: until Close's shutdown ends it
			return
		}
	}
}

// tokenPenalty is how long a connection with a wrong token is held
// before it is closed, unread: a Dealer whose handshake succeeded
// reconnects at once, and a misconfigured worker would otherwise cost
// the Router a connection in a tight loop (and guesses would be cheap).
const tokenPenalty = time.Second

// hold waits for d, or until c is dropped or the Router closes.
func (r *Router) hold(c *conn, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
}

// claim makes p the live connection for its identity; false when it
// cannot (see Router: an identity in use) or the Router closed. It waits
// while the identity's connection is alive, until the connection's
// deadline. It also accounts for p's writer goroutine, under the lock so
// that Close cannot miss it.
func (r *Router) claim(p *routerPeer, c *conn) bool {
	by := r.deadline(c)
	for {
		r.mu.Lock()
		if r.q.stopped() {
			r.mu.Unlock()
			return false
		}
		old := r.peers[p.identity]
		var quiet time.Duration
		if old != nil && !old.closed() {
			quiet = old.lim.silence()
		}
		if old == nil || old.closed() || quiet >= r.opts.takeoverSilence {
			if old != nil && !old.closed() {
				old.close()
				r.q.report(&PeerError{Identity: old.identity, Remote: old.remote, Err: errorf(ErrReplaced,
					"silent for %v, its identity taken by a new connection from %s", quiet.Round(time.Millisecond), p.remote)})
			}
			r.peers[p.identity] = p
			c.peer = p
			if c.admitBy.IsZero() || r.members[p.identity] {
				r.admitLocked(c)
			}
			p.lim.alive()
			r.wg.Add(1)
			r.writers.Add(1)
			r.mu.Unlock()
			return true
		}
		r.mu.Unlock()
		wait := time.Until(by)
		if wait <= 0 {
			r.q.report(&PeerError{Identity: p.identity, Remote: p.remote, Err: errorf(ErrRefused,
				"identity in use by a live connection from %s", old.remote)})
			return false
		}
		t := time.NewTimer(min(wait, r.opts.takeoverSilence-quiet))
		select {
		case <-old.done:
		case <-t.C:
		case <-r.q.stop:
		case <-c.evicted:
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// closed reports whether the link was closed.
func (l *link) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// unregister removes p from the routing table unless it was replaced.
func (r *Router) unregister(p *routerPeer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peers[p.identity] == p {
		delete(r.peers, p.identity)
	}
}

// newAnonymousID returns a libzmq-style generated identity: 0x00 followed
// by a 32-bit big-endian counter.
func (r *Router) newAnonymousID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.anon++
	var b [5]byte
	binary.BigEndian.PutUint32(b[1:], r.anon)
	return string(b[:])
}
