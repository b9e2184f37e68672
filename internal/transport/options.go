package transport

import "time"

// Defaults for the socket options.
const (
	// DefaultMaxMessageSize caps one received message (64 MiB).
	DefaultMaxMessageSize = 64 << 20
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
	}
	for _, opt := range opts {
		opt(&o)
	}
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
