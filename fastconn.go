package herd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// fastConns holds a FastSession's idle keep-alive connections: one per
// host, since a session sends one request at a time, and at most
// fastMaxHosts of them, oldest first. No goroutine watches them (a
// fasthttp.Client runs two per user for that): a connection idle for too
// long is found and closed when it is next taken.
type fastConns struct {
	idle []fastConn
}

// fastConn is one connection and the host it goes to.
type fastConn struct {
	conn net.Conn
	raw  syscall.RawConn // conn's when it has a file descriptor (not TLS), for flushWait
	host string          // as fasthttp.URI.Host has it: lowercase, port only when given
	tls  bool
	used time.Time // when it last became idle
}

const (
	// fastMaxHosts bounds the hosts a session keeps a connection to;
	// usually there is one, the base URL's.
	fastMaxHosts = 4
	// fastMaxIdle is HTTPUser's IdleConnTimeout: a user that waits 10 s
	// between requests keeps its connection.
	fastMaxIdle = 90 * time.Second
)

// take removes host's idle connection from the list and returns it, or
// ok false when there is none or it was idle for longer than fastMaxIdle
// (then it is closed: the server has likely dropped it).
func (cs *fastConns) take(isTLS bool, host []byte, now time.Time) (c fastConn, ok bool) {
	for i := range cs.idle {
		if c = cs.idle[i]; c.tls == isTLS && c.host == string(host) {
			cs.idle = slices.Delete(cs.idle, i, i+1)
			if now.Sub(c.used) > fastMaxIdle {
				c.conn.Close()
				return fastConn{}, false
			}
			return c, true
		}
	}
	return fastConn{}, false
}

// put keeps c as its host's idle connection, closing the oldest one when
// fastMaxHosts are kept already.
func (cs *fastConns) put(c fastConn, now time.Time) {
	if len(cs.idle) == fastMaxHosts {
		cs.idle[0].conn.Close()
		cs.idle = slices.Delete(cs.idle, 0, 1)
	}
	c.used = now
	cs.idle = append(cs.idle, c)
}

// closeAll closes every idle connection.
func (cs *fastConns) closeAll() {
	for _, c := range cs.idle {
		c.conn.Close()
	}
	cs.idle = nil
}

// dialFast connects to host (port 80 or 443 unless given) before deadline
// (fasthttp's 3 s when zero), with a TLS handshake when isTLS: with cfg
// (cloned) when not nil, else the defaults fasthttp.Client uses (system
// roots, no session cache); ServerName is the host's unless cfg sets one.
func dialFast(ctx context.Context, a *fastAbort, isTLS bool, host []byte, cfg *tls.Config, deadline time.Time) (fastConn, error) {
	c := fastConn{host: string(host), tls: isTLS}
	addr := fasthttp.AddMissingPort(c.host, isTLS)
	var tlsConfig *tls.Config
	if isTLS {
		var err error
		if tlsConfig, err = fastTLSConfig(cfg, addr); err != nil {
			return c, err
		}
	}
	var err error
	if c.conn, err = dialAside(ctx, a, addr, tlsConfig, deadline); err == nil && tlsConfig == nil {
		c.raw = rawConnOf(c.conn)
	}
	return c, err
}

// fastTLSConfig is fasthttp's newClientTLSConfig: cfg cloned (or a zero
// Config) with ServerName set from addr when empty.
func fastTLSConfig(cfg *tls.Config, addr string) (*tls.Config, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			if cfg.InsecureSkipVerify {
				return cfg, nil
			}
			return nil, fmt.Errorf("cannot determine tls server name from addr %q: %w", addr, err)
		}
		cfg.ServerName = host
	}
	return cfg, nil
}

// dialAside dials addr with fastDial, and does the TLS handshake when
// tlsConfig is not nil, on a short-lived goroutine of its own, before
// deadline (fasthttp's 3 s when zero) and until a (the session's abort
// watch) aborts it. Dialing (resolving, connecting, a handshake) needs a
// deep stack; done on the user's goroutine, it grows that stack for good
// (until enough garbage collections shrink it), which costs every idle
// user several KB. A new connection is rare enough that one goroutine (and
// one context) more per dial costs nothing measurable. The goroutine ends
// when the dial does, which an abort ends at once, so waiting for it is
// waiting for the dial.
func dialAside(ctx context.Context, a *fastAbort, addr string, tlsConfig *tls.Config, deadline time.Time) (net.Conn, error) {
	if deadline.IsZero() {
		deadline = time.Now().Add(fasthttp.DefaultDialTimeout)
	}
	dctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if !a.beginDial(ctx, cancel) {
		return nil, unsentError{ctx.Err()}
	}
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := fastDial(dctx, addr)
		if err == nil && tlsConfig != nil {
			c, err = tlsHandshake(dctx, c, tlsConfig)
		}
		ch <- result{c, err}
	}()
	r := <-ch
	if a.endDial() {
		if r.c != nil {
			r.c.Close()
		}
		return nil, unsentError{ctx.Err()} // killed while connecting: nothing left
	}
	return r.c, r.err
}

// tlsHandshake is fasthttp's tlsClientHandshake: ctx's deadline bounds
// the handshake, and running out of it is ErrTLSHandshakeTimeout; ctx's
// cancellation (an abort) ends it too.
func tlsHandshake(ctx context.Context, raw net.Conn, cfg *tls.Config) (net.Conn, error) {
	c := tls.Client(raw, cfg)
	deadline, _ := ctx.Deadline()
	err := c.SetDeadline(deadline)
	if err == nil {
		err = c.HandshakeContext(ctx)
	}
	if err != nil {
		raw.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fasthttp.ErrTLSHandshakeTimeout
		}
		return nil, err
	}
	return c, nil
}
