package herdgrpc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/herdload/herd"
	"google.golang.org/grpc"
)

// Pool is a set of connections that users share, for a target that
// should see few connections whatever the number of users (a server that
// balances by connection, a test of many users each with little traffic).
// Its connections are made when the first user dials and closed when the
// last user holding one ends; users get them in turn. A Pool is safe for
// concurrent use; make one per Test, outside the users.
type Pool struct {
	size int
	o    options

	mu     sync.Mutex
	target string // what the connections were made to
	conns  []*grpc.ClientConn
	next   int // the connection the next user gets
	users  int // users holding a connection
}

// NewPool returns a pool of size connections (at least 1) made with opts,
// as Dial's.
func NewPool(size int, opts ...Option) *Pool {
	return &Pool{size: max(size, 1), o: collect(opts)}
}

// Dial gives the user that ctx belongs to one of the pool's connections,
// to the Target option's target or the user's host. ctx must be the
// user's own context, as OnStart or a task gets it; the user's share ends
// when it calls Close or ends. Metadata is the only option it takes, the
// user's own; the others are NewPool's.
func (p *Pool) Dial(ctx context.Context, opts ...Option) (*Conn, error) {
	o := collect(opts)
	if len(o.md)%2 != 0 {
		return nil, errOddMetadata
	}
	md := o.md
	if o.target != "" || o.tls != nil || o.dial != nil || o.timeout != 0 || o.streamTimeout != 0 || o.messages || o.name != nil {
		return nil, errors.New("herdgrpc: Pool.Dial takes only Metadata: give the other options to NewPool")
	}
	target := cmp.Or(p.o.target, herd.HostFrom(ctx))

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		for range p.size {
			cc, err := newClient(target, p.o)
			if err != nil {
				p.closeLocked()
				return nil, err
			}
			p.conns = append(p.conns, cc)
		}
		p.target = target
	} else if target != p.target {
		return nil, fmt.Errorf("herdgrpc: the pool's connections go to %q, not to this user's host %q", p.target, target)
	}
	cc := p.conns[p.next%len(p.conns)]
	p.next++
	p.users++
	return newConn(ctx, cc, md, p.leave), nil
}

// leave ends a user's share; the last one closes the connections.
func (p *Pool) leave() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users--
	if p.users > 0 {
		return nil
	}
	return p.closeLocked()
}

func (p *Pool) closeLocked() error {
	var errs []error
	for _, cc := range p.conns {
		errs = append(errs, cc.Close())
	}
	p.conns, p.next = nil, 0
	return errors.Join(errs...)
}
