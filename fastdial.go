package herd

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// fastDial connects a FastSession to addr (host:port) over IPv4 before
// ctx ends, as fasthttp's TCPDialer did for it: a host name is resolved
// at most once a minute and its addresses are tried in turn, each dial
// starting from the next one. Unlike TCPDialer's, this dial can be
// cancelled: a user killed while it connects (to a host that drops SYNs,
// say) ends at once instead of at the request's deadline. Running out of
// time is fasthttp's ErrDialTimeout, as before.
func fastDial(ctx context.Context, addr string) (net.Conn, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	if _, err := netip.ParseAddr(host); err == nil {
		c, err := d.DialContext(ctx, "tcp4", addr)
		return c, dialError(ctx, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return nil, err
	}
	ips, next, err := fastHosts.lookup(ctx, host)
	if err != nil {
		return nil, dialError(ctx, err)
	}
	var c net.Conn
	for i := range ips { // at least one
		ap := netip.AddrPortFrom(ips[(next+i)%len(ips)], uint16(port))
		if c, err = d.DialContext(ctx, "tcp4", ap.String()); err == nil || ctx.Err() != nil {
			break
		}
	}
	return c, dialError(ctx, err)
}

// dialError is a failed dial's error: fasthttp's ErrDialTimeout when ctx
// ran out of time, ctx's error when it was cancelled (the dial was
// aborted), else err; nil when err is.
func dialError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	switch ctx.Err() {
	case context.DeadlineExceeded:
		return fasthttp.ErrDialTimeout
	case nil:
		return err
	default:
		return ctx.Err()
	}
}

// fastHosts are the host names FastSessions resolved, shared by all.
var fastHosts = hostCache{hosts: map[string]*hostAddrs{}}

// hostCacheFor is how long resolved addresses are used (fasthttp's
// DefaultDNSCacheDuration).
const hostCacheFor = time.Minute

type hostCache struct {
	mu    sync.Mutex
	hosts map[string]*hostAddrs
}

type hostAddrs struct {
	ips  []netip.Addr
	at   time.Time
	next int // where the next dial starts
}

// lookup returns host's IPv4 addresses and where a dial should start
// among them, resolving host when it is unknown or its addresses are older
// than hostCacheFor. Entries are replaced, never removed: the hosts of one
// test are few.
func (hc *hostCache) lookup(ctx context.Context, host string) ([]netip.Addr, int, error) {
	now := time.Now()
	hc.mu.Lock()
	if h := hc.hosts[host]; h != nil && now.Sub(h.at) < hostCacheFor {
		next := h.next
		h.next = (h.next + 1) % len(h.ips)
		hc.mu.Unlock()
		return h.ips, next, nil
	}
	hc.mu.Unlock()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return nil, 0, err
	}
	if len(ips) == 0 {
		return nil, 0, &net.DNSError{Err: "no IPv4 address", Name: host, IsNotFound: true}
	}
	for i, ip := range ips {
		ips[i] = ip.Unmap()
	}
	hc.mu.Lock()
	hc.hosts[host] = &hostAddrs{ips: ips, at: now, next: 1 % len(ips)}
	hc.mu.Unlock()
	return ips, 0, nil
}
