//go:build linux

package herd

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/herdload/herd/internal/blackhole"
)

type dialUser struct{ FastHTTPUser }

func (u *dialUser) Tasks() []Task {
	return []Task{{Name: "get", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }}}
}

// TestKillDuringConnect: a kill ends users whose connect hangs (a host
// that drops SYNs) at once, not at the request's deadline, and records
// nothing for them: their requests never left, and the target got none
// (FastSession: dialAside; LoopUser: loopState.kill).
func TestKillDuringConnect(t *testing.T) {
	t.Parallel()
	for name, newUser := range map[string]func() User{
		"FastHTTPUser": func() User { return new(dialUser) },
		"LoopUser":     func() User { return &LoopUser{Requests: []LoopRequest{{URL: "/"}}} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr, port := blackhole.Addr(t)
			const users = 2
			types := []*UserType{{Name: name, New: newUser}}
			// An hour's request timeout: only the kill can end the dials.
			r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour}, types...)
			r.types[0].host = "http://" + addr
			done := make(chan int, 1)
			r.start(users, 0, func(n int) { done <- n })
			<-done
			waitFor(t, "the users' connects to hang", func() bool { return blackhole.SynSent(t, port) >= users })
			if left := r.stop(30 * time.Second); left != 0 {
				t.Fatalf("%d users still running after the kill", left)
			}
			snap := snapshot(st)
			if e := entry(snap, "/"); e.Requests != 0 || len(snap.Failures) != 0 || len(snap.Errors) != 0 {
				t.Errorf("/: %d requests, failures %+v, errors %+v; want nothing recorded", e.Requests, snap.Failures, snap.Errors)
			}
			waitFor(t, "the hanging connects closed", func() bool { return blackhole.SynSent(t, port) == 0 })
		})
	}
}

// TestFastSessionOwnContextEndsDial: a request's own context ends its dial
// too, and the request, unsent, returns the context's error.
func TestFastSessionOwnContextEndsDial(t *testing.T) {
	t.Parallel()
	addr, port := blackhole.Addr(t)
	ctx, env, _ := sessionEnv(t, "http://"+addr, 0)
	env.timeout = time.Hour // only the context can end the dial
	s := newFastSession(env)
	defer s.Close()
	rctx, cancel := context.WithCancel(ctx)
	got := make(chan *Response, 1)
	go func() { got <- s.Get(rctx, "/") }()
	waitFor(t, "the connect to hang", func() bool { return blackhole.SynSent(t, port) >= 1 })
	cancel()
	select {
	case r := <-got:
		if !errors.Is(r.Err(), context.Canceled) {
			t.Errorf("Err() = %v, want the context's", r.Err())
		}
	case <-time.After(time.Minute): // a bound, not a budget
		t.Fatal("the dial was not aborted")
	}
}

// TestHostCache: a name is resolved once and its addresses are taken in
// turn; an address is used as it is.
func TestHostCache(t *testing.T) {
	hc := hostCache{hosts: map[string]*hostAddrs{}}
	ips, next, err := hc.lookup(context.Background(), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if !ips[next].IsLoopback() || !ips[next].Is4() {
		t.Errorf("localhost: %v", ips)
	}
	hc.hosts["many.test"] = &hostAddrs{ips: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}, at: time.Now()}
	var starts []int
	for range 3 {
		_, next, err := hc.lookup(context.Background(), "many.test") // from the cache: no lookup
		if err != nil {
			t.Fatal(err)
		}
		starts = append(starts, next)
	}
	if starts[0] != 0 || starts[1] != 1 || starts[2] != 0 {
		t.Errorf("starts %v, want 0 1 0", starts)
	}
	c, err := fastDial(context.Background(), "127.0.0.1:1") // refused at once
	if err == nil {
		c.Close()
		t.Fatal("a dial to port 1 succeeded")
	}
}
