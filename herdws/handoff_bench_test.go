package herdws

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// inUser runs fn in a herd user's task, so that herd.Record really
// records.
func inUser(b *testing.B, fn func(ctx context.Context)) {
	ut := &herd.UserType{Name: "Bench", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error { fn(ctx); return herd.ErrStopTest }}}
		})
	}}
	args := []string{"--headless", "-u", "1", "-t", "10m", "--only-summary", "-H", "http://127.0.0.1:1"}
	if _, err := (&herd.Test{Users: []*herd.UserType{ut}}).Run(context.Background(), herd.Env{Args: args, Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		b.Fatal(err)
	}
}

// herdws's own work per exchange, without a network: the "network" is a
// goroutine that answers each signal. In bare, the requester waits for
// that answer itself, as a bare client's Read is woken by the network; in
// herdws, the answer wakes the connection's reader goroutine, which hands
// it to the waiting exchange (one goroutine wake more: enlist, timeout
// timer, deliver, wait, release), and the exchange is timed and recorded. herdws minus bare is the time
// herdws adds to one request/reply; see docs/PERFORMANCE.md.
func BenchmarkExchangeOverhead(b *testing.B) {
	msg := Message{Data: []byte(`{"type":"echo","id":42}`)}
	b.Run("bare", func(b *testing.B) {
		inUser(b, func(ctx context.Context) {
			ask, answer := make(chan struct{}), make(chan Message)
			go func() {
				for range ask {
					answer <- msg
				}
			}()
			defer close(ask)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				ask <- struct{}{}
				<-answer
			}
			b.StopTimer()
		})
	})
	b.Run("herdws", func(b *testing.B) {
		inUser(b, func(ctx context.Context) {
			c := &Conn{timeout: time.Minute}
			l := &link{done: make(chan struct{})}
			ask, wire := make(chan struct{}), make(chan Message)
			go func() { // the network
				for range ask {
					wire <- msg
				}
				close(wire)
			}()
			go func() { // the connection's reader
				for m := range wire {
					c.deliver(l, m)
				}
			}()
			defer close(ask)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w := c.enlist(l, nil)
				start := time.Now()
				ask <- struct{}{}
				reply, err := c.wait(ctx, l, w)
				d := time.Since(start)
				c.release(w)
				herd.Record(ctx, herd.Request{Kind: KindWait, Name: "echo", Start: start, Duration: d, Size: int64(len(reply.Data)), Err: err})
			}
			b.StopTimer()
		})
	})
}
