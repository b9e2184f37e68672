package transport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// attempts records what a Dealer's dial monitor sees, with the (fake)
// time of each attempt.
type attempts struct {
	t0 time.Time
	mu sync.Mutex
	as []DialAttempt
	at []time.Duration
}

func (r *attempts) add(a DialAttempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.as = append(r.as, a)
	r.at = append(r.at, time.Since(r.t0))
}

func (r *attempts) list() []DialAttempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.as)
}

// TestDialDealerBackoff: each failed connection attempt reaches the
// monitor at once, with its error and the pause before the next one, which
// doubles from the reconnect interval up to the cap; without a cap it
// stays the interval. The dials are real (a closed port on 127.0.0.1),
// the pauses run on synctest's clock. An attempt that the context ended
// is not reported.
func TestDialDealerBackoff(t *testing.T) {
	t.Parallel()
	endpoint := fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	for _, tc := range []struct {
		name      string
		opts      []Option
		waits, at []time.Duration
	}{{
		name:  "capped",
		opts:  []Option{WithReconnectInterval(time.Second), WithReconnectIntervalMax(5 * time.Second)},
		waits: secs(1, 2, 4, 5, 5, 5),
		at:    secs(0, 1, 3, 7, 12, 17),
	}, {
		name:  "fixed (the default)",
		waits: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond},
		at:    []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond},
	}, {
		name:  "a cap below the interval keeps the interval",
		opts:  []Option{WithReconnectInterval(time.Second), WithReconnectIntervalMax(time.Millisecond)},
		waits: secs(1, 1, 1),
		at:    secs(0, 1, 2),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				rec := &attempts{t0: time.Now()}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				opts := append(slices.Clone(tc.opts), WithDialMonitor(func(a DialAttempt) {
					rec.add(a)
					if a.Try == len(tc.waits) {
						cancel()
					}
				}))
				_, err := DialDealer(ctx, endpoint, "w", opts...)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("DialDealer: %v, want context.Canceled", err)
				}
				as := rec.list()
				var waits []time.Duration
				for i, a := range as {
					waits = append(waits, a.Wait)
					if a.Try != i+1 || a.Reconnect || a.Addr != endpoint[len("tcp://"):] || !errors.Is(a.Err, syscall.ECONNREFUSED) {
						t.Errorf("attempt %d: %+v", i, a)
					}
				}
				if !slices.Equal(waits, tc.waits) || !slices.Equal(rec.at, tc.at) {
					t.Errorf("attempts at %v with pauses %v, want at %v with %v", rec.at, waits, tc.at, tc.waits)
				}
			})
		})
	}
}

func secs(s ...int) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v) * time.Second
	}
	return out
}

// TestDealerReconnectBackoff: when its Router goes away, a Dealer
// reconnects with growing pauses, reporting each attempt as a reconnect,
// and the attempt that connects again; the pauses start over for the next
// loss. Close during the attempts reports nothing more.
func TestDealerReconnectBackoff(t *testing.T) {
	t.Parallel()
	r := newTestRouter(t)
	endpoint := r.Endpoint()
	rec := &attempts{t0: time.Now()}
	d := newTestDealer(t, r, "w", WithReconnectInterval(2*time.Millisecond),
		WithReconnectIntervalMax(16*time.Millisecond), WithDialMonitor(rec.add))
	if as := rec.list(); len(as) != 1 || as[0].Err != nil || as[0].Reconnect || as[0].Try != 1 {
		t.Fatalf("the first connection reported as %+v", as)
	}
	_ = r.Close()
	eventually(t, "six failed reconnections", func() bool { return len(rec.list()) >= 7 })
	r2, err := ListenRouter(context.Background(), endpoint)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	t.Cleanup(func() { _ = r2.Close() })
	var back DialAttempt
	eventually(t, "the reconnection", func() bool {
		as := rec.list()
		back = as[len(as)-1]
		return back.Err == nil
	})
	as := rec.list()
	for i, a := range as[1 : len(as)-1] {
		want := min(2*time.Millisecond<<i, 16*time.Millisecond)
		if !a.Reconnect || a.Try != i+1 || a.Err == nil || a.Wait != want {
			t.Errorf("reconnection attempt %d: %+v, want a failure, then a pause of %v", i+1, a, want)
		}
	}
	if !back.Reconnect || back.Try != len(as)-1 {
		t.Errorf("the reconnection reported as %+v after %d failures", back, len(as)-2)
	}
	if err := d.Send([]byte("back")); err != nil {
		t.Fatal(err)
	}
	if id, msg := recvRouter(t, r2); id != "w" || msg != "back" {
		t.Errorf("got %q from %q", msg, id)
	}

	// Lost again: the pauses start over; Close ends the attempts.
	n := len(as)
	_ = r2.Close()
	eventually(t, "a failed reconnection", func() bool { return len(rec.list()) > n })
	if a := rec.list()[n]; a.Try != 1 || a.Wait != 2*time.Millisecond {
		t.Errorf("the next loss's first attempt: %+v", a)
	}
	_ = d.Close()
	for _, a := range rec.list() {
		if errors.Is(a.Err, context.Canceled) {
			t.Errorf("an attempt ended by Close was reported: %+v", a)
		}
	}
}
