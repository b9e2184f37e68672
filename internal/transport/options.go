package transport

import "time"

// Defaults for the socket options.
const (
	// DefaultMaxMessageSize caps one received message: 32 MiB. The largest
	// legitimate message is a herd worker's stats report: with 20,000
	// request names (herd's default --max-names), 150 requests per name in
	// its 3-second window (a million requests a second) and the open
	// model's second histogram, it measured 24 MiB; a Locust worker's
	// report with 500 names is about 0.5 MiB.
	DefaultMaxMessageSize = 32 << 20
	// DefaultHandshakeTimeout bounds a ZMTP handshake.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultQueueSize is the send and receive queue length per
	// connection, like libzmq's default high-water mark of 1000.
	DefaultQueueSize = 1000
	// DefaultKeepAliveIdle is the TCP keep-alive idle time Locust sets
	// (TCP_KEEPALIVE=1, TCP_KEEPALIVE_IDLE=30).
	DefaultKeepAliveIdle = 30 * time.Second
	// DefaultReconnectInterval is the pause between dial attempts, like
	// libzmq's ZMQ_RECONNECT_IVL.
	DefaultReconnectInterval = 100 * time.Millisecond
	// DefaultLinger bounds how long Close keeps writing queued messages.
	DefaultLinger = time.Second
)

// Defaults of a Router's Limits.
const (
	// DefaultMemoryBudget bounds the bytes of messages a Router holds in
	// memory at once, over all its connections: 128 MiB, four of the
	// largest messages.
	DefaultMemoryBudget = 128 << 20
	// DefaultReadTimeout is how long one message may take to arrive,
	// from its first byte to its last, waits for memory included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultIdleTimeout closes a connection that sent nothing for this
	// long: Locust and herd workers send a heartbeat every second.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultMaxConnections caps a Router's open connections.
	DefaultMaxConnections = 1024
	// DefaultMaxPending caps the connections not admitted yet (in their
	// handshake, or waiting for Router.Admit).
	DefaultMaxPending = 256
)

// Fixed limits, not options.
const (
	// freeMessage is the size up to which a message needs neither
	// admission nor memory from the budget: a heartbeat or client_ready is
	// about 100 bytes. A connection holds at most this much outside the
	// budget, besides its 4 KiB read buffer.
	freeMessage = 4 << 10
	// defaultTakeoverSilence is how long a connection must have been
	// silent before a new one with its identity replaces it: three missed
	// heartbeats, when a master also counts a worker missing.
	defaultTakeoverSilence = 3 * time.Second
)

// Option configures a Dealer or a Router.
type Option func(*options)

// options are the resolved settings of a socket.
type options struct {
	maxMessageSize    int
	handshakeTimeout  time.Duration
	queueSize         int
	keepAliveIdle     time.Duration
	reconnectInterval time.Duration
	reconnectMax      time.Duration     // Dealer: back-off cap; 0 keeps the interval fixed
	monitor           func(DialAttempt) // Dealer: sees every connection attempt
	linger            time.Duration
	token             string

	// Router only.
	memoryBudget    int
	readTimeout     time.Duration
	idleTimeout     time.Duration
	admitTimeout    time.Duration // 0: peers are admitted at once
	maxConnections  int
	maxPending      int
	takeoverSilence time.Duration
}

// resolve applies opts over the defaults.
func resolve(opts []Option) options {
	o := options{
		maxMessageSize:    DefaultMaxMessageSize,
		handshakeTimeout:  DefaultHandshakeTimeout,
		queueSize:         DefaultQueueSize,
		keepAliveIdle:     DefaultKeepAliveIdle,
		reconnectInterval: DefaultReconnectInterval,
		linger:            DefaultLinger,
		memoryBudget:      DefaultMemoryBudget,
		readTimeout:       DefaultReadTimeout,
		idleTimeout:       DefaultIdleTimeout,
		maxConnections:    DefaultMaxConnections,
		maxPending:        DefaultMaxPending,
		takeoverSilence:   defaultTakeoverSilence,
	}
	for _, opt := range opts {
		opt(&o)
	}
	// A message grows by doubling its buffer, holding the old one and the
	// new one for a moment: one message alone must always fit.
	o.memoryBudget = max(o.memoryBudget, 2*o.maxMessageSize)
	return o
}

// WithMaxMessageSize caps the size of one received message in bytes.
func WithMaxMessageSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxMessageSize = n
		}
	}
}

// WithHandshakeTimeout bounds the ZMTP handshake of each connection (and
// a Dealer's TCP connect before it).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.handshakeTimeout = d
		}
	}
}

// WithQueueSize sets the send and receive queue lengths (high-water mark).
func WithQueueSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.queueSize = n
		}
	}
}

// WithKeepAliveIdle sets the TCP keep-alive idle time.
func WithKeepAliveIdle(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.keepAliveIdle = d
		}
	}
}

// WithReconnectInterval sets the pause between a Dealer's dial attempts.
func WithReconnectInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.reconnectInterval = d
		}
	}
}

// WithLinger bounds how long Close keeps writing already queued messages
// (such as a final stats report and quit); 0 drops them.
func WithLinger(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.linger = d
		}
	}
}

// WithToken sets a shared secret ("" for none). A Dealer presents it in
// its READY command (see Router for what a Router does with it).
func WithToken(token string) Option {
	return func(o *options) { o.token = token }
}

// Limits bound what the peers of a Router can cost it. A zero field takes
// its default.
type Limits struct {
	// MaxMessageSize caps one message, frame headers included
	// (DefaultMaxMessageSize, 32 MiB). A larger one drops its connection.
	MaxMessageSize int
	// MemoryBudget bounds the bytes of received messages held at once
	// over all connections, from their arrival until Recv returns them
	// (DefaultMemoryBudget, 128 MiB; at least twice MaxMessageSize).
	// Memory is taken as the bytes arrive, never for a declared size; a
	// message that finds the budget spent waits for it (its sender is held
	// back by TCP), within ReadTimeout. Messages up to 4 KiB need none.
	MemoryBudget int
	// ReadTimeout bounds one message from its first byte to its last,
	// waits for memory included (DefaultReadTimeout, 30 s); a message late
	// drops its connection.
	ReadTimeout time.Duration
	// IdleTimeout closes a connection that sent nothing for this long
	// (DefaultIdleTimeout, 60 s).
	IdleTimeout time.Duration
	// AdmitTimeout, when set, requires every peer to be admitted
	// (Router.Admit) within this time of connecting, handshake included;
	// one that is not is dropped. Until then it may send messages of up
	// to 4 KiB only; a larger one waits for the admission. 0 (the
	// default) admits every peer once its handshake is done.
	AdmitTimeout time.Duration
	// MaxConnections caps the open connections (DefaultMaxConnections,
	// 1024); beyond it a new connection is closed at once.
	MaxConnections int
	// MaxPending caps the connections not admitted yet
	// (DefaultMaxPending, 256); a new one beyond it replaces the oldest.
	MaxPending int
}

// WithLimits sets a Router's limits; a Dealer ignores them.
func WithLimits(l Limits) Option {
	return func(o *options) {
		set := func(dst *int, v int) {
			if v > 0 {
				*dst = v
			}
		}
		setD := func(dst *time.Duration, v time.Duration) {
			if v > 0 {
				*dst = v
			}
		}
		set(&o.maxMessageSize, l.MaxMessageSize)
		set(&o.memoryBudget, l.MemoryBudget)
		set(&o.maxConnections, l.MaxConnections)
		set(&o.maxPending, l.MaxPending)
		setD(&o.readTimeout, l.ReadTimeout)
		setD(&o.idleTimeout, l.IdleTimeout)
		setD(&o.admitTimeout, l.AdmitTimeout)
	}
}
