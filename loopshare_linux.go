//go:build linux

package herd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/herdload/herd/internal/evloop"
	"github.com/valyala/fasthttp"
)

// loopShare is one of the process's event loops and what its users share:
// resolved addresses. There is one per GOMAXPROCS slot, started by its
// first LoopUser and closed (and its goroutine joined) by its last.
type loopShare struct {
	l     *evloop.Loop
	slot  int
	users int // guarded by loops.mu
	// addrs is the loop's: resolved hosts, for a minute as fasthttp's
	// dialer keeps them (a failure for a second).
	addrs     map[string]loopAddr
	resolving sync.WaitGroup // lookups under way, which post to l
}

type loopAddr struct {
	ap      netip.AddrPort
	err     error
	at      time.Time
	literal bool // an IP address: known for good
}

var loops struct {
	mu  sync.Mutex
	all []*loopShare
}

// attachLoop gives user id its loop: users spread over GOMAXPROCS loops.
func attachLoop(id int) (*loopShare, error) {
	loops.mu.Lock()
	defer loops.mu.Unlock()
	n := runtime.GOMAXPROCS(0)
	for len(loops.all) < n {
		loops.all = append(loops.all, nil)
	}
	i := id % n
	sh := loops.all[i]
	if sh == nil {
		l, err := evloop.Start()
		if err != nil {
			return nil, fmt.Errorf("herd.LoopUser: %w", err)
		}
		sh = &loopShare{l: l, slot: i, addrs: make(map[string]loopAddr)}
		loops.all[i] = sh
	}
	sh.users++
	return sh, nil
}

// detach lets a user go; the last one closes the loop and waits for it.
func (sh *loopShare) detach() {
	loops.mu.Lock()
	sh.users--
	last := sh.users == 0
	if last && sh.slot < len(loops.all) && loops.all[sh.slot] == sh {
		loops.all[sh.slot] = nil
	}
	loops.mu.Unlock()
	if last {
		sh.resolving.Wait()
		sh.l.Close()
	}
}

// lookup returns host's address when known (ok), or its lookup's recent
// failure; an IP literal is known at once.
func (sh *loopShare) lookup(host string) (ap netip.AddrPort, ok bool, err error) {
	now := sh.l.Now()
	if a, found := sh.addrs[host]; found {
		if a.literal || a.err == nil && now.Sub(a.at) < time.Minute {
			return a.ap, true, nil
		}
		if a.err != nil && now.Sub(a.at) < time.Second {
			return a.ap, true, a.err
		}
	}
	if ap, err := netip.ParseAddrPort(fasthttp.AddMissingPort(host, false)); err == nil {
		sh.addrs[host] = loopAddr{ap: ap, literal: true}
		return ap, true, nil
	}
	return netip.AddrPort{}, false, nil
}

// resolve looks host up on a goroutine of its own (a lookup would block
// the loop), by deadline when not zero, then runs then on the loop.
func (sh *loopShare) resolve(host string, deadline time.Time, then func()) {
	sh.resolving.Add(1)
	go func() {
		defer sh.resolving.Done()
		ctx := context.Background()
		if !deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		a := loopAddr{at: time.Now()}
		a.ap, a.err = lookupHost(ctx, host)
		sh.l.Post(func() {
			sh.addrs[host] = a
			then()
		})
	}()
}

// lookupHost resolves host[:port] (port 80 when missing), an IPv4 address
// first, as the dialer would try it.
func lookupHost(ctx context.Context, host string) (netip.AddrPort, error) {
	name, p, err := net.SplitHostPort(fasthttp.AddMissingPort(host, false))
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port in %q", host)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return netip.AddrPort{}, err
	}
	best := ips[0]
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			best = ip
			break
		}
	}
	return netip.AddrPortFrom(best.Unmap(), uint16(port)), nil
}
