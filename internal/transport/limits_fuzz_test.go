package transport

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"slices"
	"testing"
	"time"
)

// deadlineConn is a connection whose deadlines do nothing, for reading a
// stream through a Router's limits.
type deadlineConn struct{ net.Conn }

func (deadlineConn) SetReadDeadline(time.Time) error { return nil }

// FuzzLimitedReader reads arbitrary streams through a Router's reader
// (deadlines, memory budget, bodies grown as they arrive) beside the plain
// reader: both return the same messages and errors, nothing above the cap
// is accepted, a message holds exactly its bodies' bytes of the budget,
// and all of it is back once the messages are released.
func FuzzLimitedReader(f *testing.F) {
	for _, name := range []string{"testdata/zmtp_worker_side.bin", "testdata/zmtp_master_side.bin"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[64:])
	}
	f.Add(frame(0, bytes.Repeat([]byte("x"), 100_000)))
	f.Add(append(frame(flagMore, make([]byte, 5000)), frame(0, make([]byte, 70_000))...))
	f.Add(frame(0, make([]byte, 200_000))[:150_000])
	f.Add([]byte{flagLong, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		const max = 1 << 17
		mem := newBudget(2 * max)
		o := resolve([]Option{WithLimits(Limits{ReadTimeout: time.Hour})})
		lim := newConnLimits(context.Background(), deadlineConn{}, &o, mem, time.Time{})
		limited := msgReader{br: bufio.NewReader(bytes.NewReader(stream)), max: max, lim: lim}
		plain := bufio.NewReader(bytes.NewReader(stream))
		for {
			got, err := limited.read()
			want, wantErr := readMessage(plain, max)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("limited reader: %v, plain reader: %v", err, wantErr)
			}
			if err != nil {
				break
			}
			if got.command != want.command || !slices.EqualFunc(got.frames, want.frames, bytes.Equal) {
				t.Fatalf("the readers disagree: %v vs %v", got, want)
			}
			size := 0
			for _, fr := range got.frames {
				size += len(fr)
			}
			if size > max {
				t.Fatalf("message of %d bytes accepted with a cap of %d", size, max)
			}
			// Bodies past the free allowance (headers included) take memory.
			if got.held != int(mem.used.Load()) || got.held > size || size+9*len(got.frames) <= freeMessage && got.held != 0 {
				t.Fatalf("message of %d bytes holds %d bytes of the budget (%d used)", size, got.held, mem.used.Load())
			}
			lim.release(got.held)
		}
		if used := mem.used.Load(); used != 0 {
			t.Fatalf("%d bytes of the budget still held", used)
		}
	})
}
