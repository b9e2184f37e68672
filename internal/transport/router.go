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
// starting with 0x00, as libzmq generates. When a second connection
// announces an identity that is already connected, the newer connection
// takes over and the older one is closed (ZMQ_ROUTER_HANDOVER semantics):
// that is what a worker's reconnect needs, whereas libzmq's default would
// ignore the new connection until the old one is noticed dead.
type Router struct {
	opts options
	ln   net.Listener
	q    queue

	mu    sync.Mutex
	peers map[string]*routerPeer // routing table: identity → live link
	conns map[net.Conn]bool      // every open connection, for Close
	anon  uint32                 // last generated identity

	wg        sync.WaitGroup // every goroutine
	writers   sync.WaitGroup // writer goroutines (flushed first on Close)
	closeOnce sync.Once
}

// routerPeer is one connected peer with its send queue.
type routerPeer struct {
	*link
	out chan outItem
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
		opts:  o,
		ln:    ln,
		q:     newQueue(o.queueSize),
		peers: map[string]*routerPeer{},
		conns: map[net.Conn]bool{},
		anon:  randomUint32(),
	}
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

// Recv returns the next message and its sender's identity. A *PeerError
// (malformed multi-frame message, oversized message, failed handshake,
// protocol violation) is returned as the error without a payload and is
// not fatal: keep calling Recv. ErrClosed and ctx's error are final for
// this call.
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
		deadline := time.Now().Add(r.opts.linger)
		for _, p := range r.peers {
			_ = p.nc.SetWriteDeadline(deadline)
		}
		r.mu.Unlock()
		_ = r.ln.Close()
		r.writers.Wait()
		r.mu.Lock()
		peers := make(map[net.Conn]*routerPeer, len(r.peers))
		for _, p := range r.peers {
			peers[p.nc] = p
		}
		for nc := range r.conns {
			if p := peers[nc]; p != nil {
				p.shutdown(deadline)
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
		if !r.track(nc) {
			_ = nc.Close()
			return
		}
		go r.serve(nc)
	}
}

// track records a new connection; false once the Router is closed.
func (r *Router) track(nc net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.q.stopped() {
		return false
	}
	r.conns[nc] = true
	r.wg.Add(1)
	return true
}

// serve runs one connection: handshake, registration, reading.
func (r *Router) serve(nc net.Conn) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.conns, nc)
		r.mu.Unlock()
		_ = nc.Close()
	}()
	zc, err := handshake(nc, zmq4.Router, "", r.opts.handshakeTimeout)
	if err != nil {
		if !r.q.stopped() {
			r.q.put(inbound{err: &PeerError{Remote: nc.RemoteAddr().String(), Err: err}})
		}
		return
	}
	id := peerIdentity(zc)
	if id == "" {
		id = r.newAnonymousID()
	}
	p := &routerPeer{link: newLink(nc, zc, id, r.opts.maxMessageSize), out: make(chan outItem, r.opts.queueSize)}
	if !r.register(p) {
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
			r.q.reportReadError(p.link, err)
			return
		}
		if !r.q.deliverMessage(p.link, msg) {
			p.drain() // closed: until Close's shutdown ends it
			return
		}
	}
}

// register makes p the live connection for its identity, closing an older
// one (handover); false once the Router is closed. It also accounts for
// p's writer goroutine, under the lock so that Close cannot miss it.
func (r *Router) register(p *routerPeer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.q.stopped() {
		return false
	}
	if old := r.peers[p.identity]; old != nil {
		old.close()
	}
	r.peers[p.identity] = p
	r.wg.Add(1)
	r.writers.Add(1)
	return true
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
