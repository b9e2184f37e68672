package transport

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// TestCloseDeliversDespiteUnreadInput: the last message sent before Close
// arrives even when both sides have input they did not read (full receive
// queues, large messages still in the kernel's buffers). Closing a socket
// with unread input sends RST, and the peer then discards what it had
// received but not read yet: a worker's final report and quit, or the
// master's quit. Close half-closes and drains instead.
func TestCloseDeliversDespiteUnreadInput(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 64<<10) // more than a bufio buffer
	for _, closing := range []string{"dealer", "router"} {
		t.Run(closing, func(t *testing.T) {
			t.Parallel()
			opts := []Option{WithQueueSize(1), WithLinger(5 * time.Second)} // generous: a loaded machine reads slowly
			r := newTestRouter(t, opts...)
			d := newTestDealer(t, r, "w", opts...)
			eventually(t, "the peer registered", func() bool { return slices.Contains(r.Peers(), "w") })
			// Neither side reads: each has one message in its queue, one
			// in hand, and the third in the kernel.
			// (A send queue of one: each send waits for the writer.)
			for range 3 {
				eventually(t, "room to send", func() bool { return d.Send(big) == nil })
				eventually(t, "room to send", func() bool { return r.SendTo("w", big) == nil })
			}
			var last string
			if closing == "dealer" {
				eventually(t, "room to send", func() bool { return d.Send([]byte("final")) == nil })
				_ = d.Close()
				for range 3 {
					recvRouter(t, r)
				}
				_, last = recvRouter(t, r)
			} else {
				eventually(t, "room to send", func() bool { return r.SendTo("w", []byte("final")) == nil })
				_ = r.Close()
				for range 3 {
					recvDealer(t, d)
				}
				last = recvDealer(t, d)
			}
			if last != "final" {
				t.Errorf("the message after the large ones is %.10q, want final", last)
			}
		})
	}
}
