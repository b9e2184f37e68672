package herdgrpc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/herdload/herd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Conn is a user's gRPC connection: a grpc.ClientConnInterface that
// generated clients take (pb.NewGreeterClient(conn)), whose calls and
// streams are timed and recorded. It is the user's own (Dial) or a share
// of a Pool's. Close it in OnStop; it is closed anyway when its user ends.
// A Conn is safe for concurrent use.
type Conn struct {
	cc      *grpc.ClientConn
	md      []string     // Metadata: added to every call's
	release func() error // closes cc, or ends the Pool's lease
	stop    func() bool  // unregisters the close at the user's end

	once sync.Once
	err  error
}

var _ grpc.ClientConnInterface = (*Conn)(nil)

// Dial makes a connection for the user that ctx belongs to, to its host
// (-H, or its type's Host) unless the Target option names another: a
// grpc:// target is plaintext, grpcs:// uses TLS with the system's roots
// (or the TLS option's config), host:port is plaintext unless the TLS
// option is given. The connection is opened by the first call (its time
// is part of that call's), kept for the user's life and closed by Close or
// when the user ends.
//
// ctx should be the user's own context, as OnStart or a task gets it: the
// connection is closed when the user ends (herd.AfterUser). With another
// context, it is closed when that context ends.
func Dial(ctx context.Context, opts ...Option) (*Conn, error) {
	o := collect(opts)
	if len(o.md)%2 != 0 {
		return nil, errOddMetadata
	}
	cc, err := newClient(cmp.Or(o.target, herd.HostFrom(ctx)), o)
	if err != nil {
		return nil, err
	}
	return newConn(ctx, cc, o.md, cc.Close), nil
}

// newClient makes a grpc.ClientConn to target with o's credentials,
// interceptors and dial options.
func newClient(target string, o options) (*grpc.ClientConn, error) {
	e, err := parseTarget(target, o.tls != nil)
	if err != nil {
		return nil, err
	}
	t := newTiming(o)
	dopts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(e.credentials(o.tls)),
		grpc.WithChainUnaryInterceptor(t.unary),
		grpc.WithChainStreamInterceptor(t.stream),
	}, o.dial...)
	cc, err := grpc.NewClient(e.target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("herdgrpc: %w", err)
	}
	return cc, nil
}

// newConn hands cc to the user of ctx; release runs at Close, or when ctx
// ends.
func newConn(ctx context.Context, cc *grpc.ClientConn, md []string, release func() error) *Conn {
	c := &Conn{cc: cc, md: md, release: release}
	// A user's Conn is closed on its goroutine as it ends, and the test
	// waits for that; a Conn made outside a user, when ctx ends.
	if herd.AfterUser(ctx, func() { _ = c.Close() }) {
		c.stop = func() bool { return false }
	} else {
		c.stop = context.AfterFunc(ctx, func() { _ = c.Close() })
	}
	return c
}

// Invoke makes a unary call: generated clients call it.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.cc.Invoke(c.outgoing(ctx), method, args, reply, opts...)
}

// NewStream opens a stream: generated clients call it.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.cc.NewStream(c.outgoing(ctx), desc, method, opts...)
}

// outgoing adds the Conn's metadata to ctx's.
func (c *Conn) outgoing(ctx context.Context) context.Context {
	if len(c.md) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, c.md...)
}

// ClientConn is the connection underneath, for what a Conn does not offer
// (its state, a health check); it is shared when the Conn is a Pool's, so
// do not close it.
func (c *Conn) ClientConn() *grpc.ClientConn { return c.cc }

// Close closes the user's connection, or ends its share of a Pool's. It is
// idempotent and safe on a nil Conn (a Dial that failed).
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		c.stop()
		if err := c.release(); err != nil {
			c.err = fmt.Errorf("herdgrpc: closing: %w", err)
		}
	})
	return c.err
}

var errOddMetadata = errors.New("herdgrpc: Metadata takes key-value pairs: an odd number of strings")
