package herdws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/herdload/herd"
)

// defaultReadLimit is the largest message a connection accepts unless
// ReadLimit says otherwise: a response body's limit in herd's HTTP session.
const defaultReadLimit = 16 << 20

// ErrClosed is returned by calls on a Conn after Close, or after its user's
// context ended.
var ErrClosed = errors.New("herdws: connection closed")

// Conn is one user's WebSocket connection. A goroutine of its own reads
// every message the server sends (so pings and the close handshake are
// answered) and hands each to the Request or Await waiting for it, or
// counts it as a push. Close ends it, and so does the end of the context
// Dial was given. A Conn is safe for concurrent use by its user's
// goroutines.
type Conn struct {
	ctx       context.Context // Dial's: the user's, for pushes
	url       string
	name      string // the connect's
	dialOpts  websocket.DialOptions
	timeout   time.Duration
	pushName  func(Message) string
	readLimit int64
	stopAbort func() bool // unregisters abort from ctx

	dialMu sync.Mutex // one dial at a time

	mu     sync.Mutex
	cur    *link     // the connection; nil until dialled, or after Close
	closed bool      // Close was called, or ctx ended
	free   []*waiter // waiters to reuse
}

// link is one WebSocket connection of a Conn and its reader.
type link struct {
	ws   *websocket.Conn
	done chan struct{} // closed when the reader has returned
	err  error         // why the reader returned; set before done closes
	// Guarded by Conn.mu: the Requests and Awaits waiting, in the order
	// they came, and whether the reader has failed them all for good.
	waiters []*waiter
	dead    bool
}

// Dial opens a WebSocket connection for the user that ctx belongs to and
// records the connect (Type "WS", name: target, or the Name option).
// target is relative to the user's host (-H/--host, http becoming ws and
// https wss) unless it is an absolute ws://, wss://, http:// or https://
// URL. The connect is bounded by --request-timeout (or Timeout).
//
// ctx must be the user's own context, as OnStart or a task gets it, not a
// shorter one: when it ends (the user was killed, or ended without Close)
// the connection is dropped at once.
func Dial(ctx context.Context, target string, opts ...Option) (*Conn, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	u, err := wsURL(herd.HostFrom(ctx), target)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		ctx:       ctx,
		url:       u,
		name:      cmp.Or(o.name, target),
		timeout:   o.timeout,
		pushName:  o.pushName,
		readLimit: cmp.Or(o.readLimit, defaultReadLimit),
		dialOpts: websocket.DialOptions{
			HTTPClient:   o.client,
			HTTPHeader:   o.header,
			Subprotocols: o.subprotocols,
		},
	}
	if c.timeout <= 0 {
		c.timeout = herd.RequestTimeoutFrom(ctx)
	}
	if c.pushName == nil {
		c.pushName = func(Message) string { return "push" }
	}
	if _, err := c.dial(ctx); err != nil {
		return nil, err
	}
	c.stopAbort = context.AfterFunc(ctx, c.abort)
	return c, nil
}

// live returns the connection, dialling it again if it was lost.
func (c *Conn) live(ctx context.Context) (*link, error) {
	l, up, closed := c.current()
	switch {
	case closed:
		return nil, ErrClosed
	case up:
		return l, nil
	}
	return c.dial(ctx)
}

// current is the connection now, whether it is up, and whether the Conn
// was closed.
func (c *Conn) current() (l *link, up, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.cur != nil && !c.cur.dead, c.closed
}

// dial connects, records the connect and starts the reader.
func (c *Conn) dial(ctx context.Context) (*link, error) {
	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	l, up, closed := c.current()
	switch {
	case closed:
		return nil, ErrClosed
	case up:
		return l, nil // another goroutine dialled meanwhile
	case ctx.Err() != nil:
		return nil, ctx.Err() // nothing sent, nothing to record
	}
	if l != nil {
		<-l.done // the lost connection's reader is on its way out: join it
	}
	dctx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	start := time.Now()
	ws, resp, err := websocket.Dial(dctx, c.url, &c.dialOpts)
	d := time.Since(start)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			err = &herd.StatusError{Code: resp.StatusCode, Status: http.StatusText(resp.StatusCode)}
		} else if dctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			// herd's failure table: "could not connect within the request timeout"
			err = &net.OpError{Op: "dial", Net: "tcp", Err: errTimeout}
		}
	}
	herd.Record(ctx, herd.Request{Kind: KindWait, Name: c.name, Start: start, Duration: d, Err: err})
	if err != nil {
		return nil, &herd.RequestError{Kind: KindWait, Name: c.name, Err: err}
	}
	ws.SetReadLimit(c.readLimit)
	l = &link{ws: ws, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = ws.CloseNow()
		return nil, ErrClosed
	}
	c.cur = l
	c.mu.Unlock()
	go c.read(l)
	return l, nil
}

// read is a connection's reader: it hands each message to its waiter or
// counts it as a push, until the connection ends. Close and abort wait for
// it.
func (c *Conn) read(l *link) {
	defer close(l.done)
	for {
		// A context without Done: coder/websocket then needs no timer per
		// read. Close, abort and the server end the read.
		typ, data, err := l.ws.Read(context.Background())
		if err != nil {
			l.err = readError(err)
			c.fail(l)
			return
		}
		m := Message{Binary: typ == websocket.MessageBinary, Data: data}
		if !c.deliver(l, m) {
			c.push(m)
		}
	}
}

// push counts a message that no waiter claimed.
func (c *Conn) push(m Message) {
	if c.ctx.Err() != nil {
		return // the user is gone
	}
	if name := c.nameOf(m); name != "" {
		herd.Record(c.ctx, herd.Request{Kind: KindPush, Name: name, Start: time.Now(), Size: int64(len(m.Data))})
	}
}

// nameOf runs the author's Pushes function on the reader goroutine, where
// a panic would end the process: the message then counts under a name that
// says so.
func (c *Conn) nameOf(m Message) (name string) {
	defer func() {
		if recover() != nil {
			name = "push (Pushes panicked)"
		}
	}()
	return c.pushName(m)
}

// Close closes the connection with status 1000 (normal closure), waits for
// the server's answer (at most a few seconds: coder/websocket's bound) and
// for the reader. Call it in OnStop. It is idempotent, and safe on a nil
// Conn (a Dial that failed).
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	l := c.cur
	c.mu.Unlock()
	c.stopAbort()
	if l == nil {
		return nil
	}
	err := l.ws.Close(websocket.StatusNormalClosure, "")
	<-l.done
	if err != nil && !errors.Is(err, net.ErrClosed) && websocket.CloseStatus(err) == -1 {
		return fmt.Errorf("herdws: closing %s: %w", c.name, err)
	}
	return nil
}

// abort drops the connection without a handshake when Dial's context ends
// before Close: the user was killed, or its author forgot Close.
func (c *Conn) abort() {
	c.mu.Lock()
	c.closed = true
	l := c.cur
	c.mu.Unlock()
	if l != nil {
		_ = l.ws.CloseNow()
		<-l.done
	}
}
