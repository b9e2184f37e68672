package herdgrpc

import (
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
)

// Option changes how Dial connects and how calls are timed.
type Option func(*options)

type options struct {
	target        string
	tls           *tls.Config
	dial          []grpc.DialOption
	md            []string // key, value, …
	timeout       time.Duration
	streamTimeout time.Duration
	messages      bool
	name          func(method string) string
}

func collect(opts []Option) options {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// Target is the server to dial instead of the user's host (-H):
// grpc://host:port (plaintext), grpcs://host[:port] (TLS), host:port, or any
// target grpc.NewClient accepts (dns:///…, unix:///…).
func Target(target string) Option { return func(o *options) { o.target = target } }

// TLS secures the connection with cfg: for grpcs:// targets instead of the
// system's roots (a private CA, a client certificate, InsecureSkipVerify),
// and for host:port targets, which are plaintext without it. A grpc://
// target with TLS is an error.
func TLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// DialOptions adds options of grpc.NewClient's (keep-alive, message sizes, a
// dialer, …); herd sets the transport credentials and its timing
// interceptors, which run first.
func DialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Metadata adds key-value pairs to the metadata of every call made through
// the Conn: a user's own token, say. A call's own metadata
// (metadata.AppendToOutgoingContext on its context) is added to them. It is
// the one option Pool.Dial takes.
func Metadata(kv ...string) Option {
	return func(o *options) { o.md = append(o.md, kv...) }
}

// Timeout bounds each call instead of --request-timeout; 0 keeps that, a
// negative duration sets no deadline. A call whose context has an earlier
// deadline keeps it.
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// StreamTimeout bounds each stream, from its opening to its end, instead of
// the calls' timeout (Timeout, else --request-timeout); a negative duration
// sets no deadline, for streams that live as long as their user.
func StreamTimeout(d time.Duration) Option { return func(o *options) { o.streamTimeout = d } }

// Messages records each message a stream receives too, as a row of its own
// (Type "grpc-msg", the stream's name, its proto size as its size), whose
// response time is the time since the stream opened or since its previous
// message: how fast the server pushes.
func Messages() Option { return func(o *options) { o.messages = true } }

// Names names each call's and stream's row fn(method) instead of the full
// method ("/pkg.Service/Method"): Names(path.Base) gives "Method", as
// Locust's gRPC example does. fn runs for every call: it should not allocate
// (path.Base returns a part of its argument).
func Names(fn func(method string) string) Option { return func(o *options) { o.name = fn } }
