package herd

import (
	"bufio"
	"net"
	"syscall"
	"time"
)

// flushWait sends a FastSession's request and waits for its answer to
// arrive, so that reading the answer takes one system call, not two.
//
// Go's net package always tries a read before it waits: right after a
// request is written the answer is not there yet, so that read returns
// EAGAIN and only the next one, after the poller's wake-up, finds it.
// Here the request is flushed from inside the connection's RawConn.Read
// callback, whose second call (after the poller's wake-up) ends the wait
// without reading: the answer is then read as net.Conn reads it, and is
// there. RawConn.Read forgets the poller's earlier readiness before it
// calls back, and the request leaves only after that, so the answer's
// arrival is what wakes it; a wake-up for something else (the server
// closing an idle connection) only costs the read that finds nothing, as
// before.
//
// Only a request whose bytes are all still in the buffer is sent this way:
// one that has partly left already could have its answer under way, and
// its readiness forgotten. Nor is one on a connection idle for longer than
// flushWaitIdle: a server that closed it meanwhile may only have half
// closed it (its FIN is the readiness forgotten), and then nothing would
// wake the wait before the deadline, where a read finds the end at once.
// (A server that half closes a connection within that second, without a
// "Connection: close" answer, still delays the next request until it
// closes the connection fully, which resets it, or the deadline.)
// Connections without a file descriptor (TLS, a test's pipe) are written
// and read as usual.
type flushWait struct {
	bw     *bufio.Writer // the request, buffered
	err    error         // the flush's
	calls  int
	waitFn func(uintptr) bool // w.wait, bound once per session
}

// flushWaitIdle is the longest a connection may have been idle for its
// next request to go through flushWait. A closed loop reuses connections
// within microseconds; users that wait seconds between requests gain
// nothing measurable from it.
const flushWaitIdle = time.Second

// rawConnOf returns the RawConn of a plain TCP connection, or nil. It
// allocates, so it is called once per connection.
func rawConnOf(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// flush writes bw's request through raw's connection and waits until the
// answer can be read, the deadline passes or the connection fails. It
// returns the write's error only: a failed wait is found again, and
// reported as usual, by the read that follows.
func (w *flushWait) flush(raw syscall.RawConn, bw *bufio.Writer) error {
	if w.waitFn == nil {
		w.waitFn = w.wait
	}
	w.bw, w.err, w.calls = bw, nil, 0
	raw.Read(w.waitFn)
	if w.calls == 0 {
		// RawConn.Read found the deadline passed or the connection
		// closed before calling back: write as usual, and fail there.
		w.err = bw.Flush()
	}
	err := w.err
	w.bw, w.err = nil, nil
	return err
}

// wait is the RawConn.Read callback: it flushes, then asks to wait for
// readiness (false), then ends the wait (true) without reading.
func (w *flushWait) wait(uintptr) bool {
	w.calls++
	if w.calls > 1 {
		return true
	}
	w.err = w.bw.Flush()
	return w.err != nil
}
