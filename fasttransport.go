package herd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// roundTrip sends req on the session's connection to its host, dialled
// when there is none, and reads the answer into res, as fasthttp's
// HostClient and transport would: the same bytes on the wire, the same
// errors. The deadline (none when zero) bounds everything, the dial and the
// TLS handshake included.
//
// A request is resent once, on a new connection, only when a kept-alive
// connection failed before any byte of an answer (the server had closed it)
// and the method is idempotent: what net/http does. fasthttp would also
// resend after a failure on a new connection, a timeout, an invalid or a
// partial answer, which would hide failures and multiply the load.
//
// now is the time the request is sent: it also stamps the connection's
// idle age when it is kept (a request's duration is nothing against
// fastMaxIdle, and a clock read less per request is not).
func (s *FastSession) roundTrip(ctx context.Context, req *fasthttp.Request, res *fasthttp.Response, deadline, now time.Time) error {
	if !deadline.IsZero() && !now.Before(deadline) {
		return fasthttp.ErrTimeout
	}
	uri := req.URI()
	isTLS := string(uri.Scheme()) == "https"
	if !isTLS && string(uri.Scheme()) != "http" {
		return fmt.Errorf("unsupported protocol %q. http and https are supported", uri.Scheme())
	}
	host := uri.Host()
	if len(host) == 0 {
		return errors.New("no host in the request URL")
	}
	if len(req.Header.UserAgent()) == 0 {
		req.Header.SetUserAgent(fastUserAgent)
	}
	if req.Header.IsHead() {
		res.SkipBody = true
	}
	c, reused := s.conns.take(isTLS, host, now)
	for {
		if !reused {
			var err error
			if c, err = dialFast(ctx, &s.abort, isTLS, host, s.TLSConfig, deadline); err != nil {
				return err
			}
		}
		ok, err := s.abort.begin(ctx, c.conn, deadline)
		if !ok {
			c.conn.Close()
			if err == nil {
				err = unsentError{ctx.Err()} // done since Do began, during a dial or between redirects
			}
			return err
		}
		s.sent = sentWriter{conn: c.conn}
		raw := c.raw
		if reused && now.Sub(c.used) > flushWaitIdle {
			raw = nil // the server may have closed it: see flushWait
		}
		stale, err := exchange(c.conn, raw, &s.sent, &s.flushWait, req, res, s.limit)
		if s.abort.end() && err != nil {
			c.conn.Close()
			if s.sent.n == 0 {
				return unsentError{ctx.Err()} // cut before any of it left: the target got nothing
			}
			return ctx.Err() // what the request's context says, not the deadline's timeout
		}
		if err == nil {
			if req.ConnectionClose() || res.ConnectionClose() {
				c.conn.Close()
			} else {
				s.conns.put(c, now)
			}
			return nil
		}
		c.conn.Close()
		if !reused || !stale || !idempotent(req.Header.Method()) {
			if err == io.EOF {
				err = fasthttp.ErrConnectionClosed // as HostClient.Do
			}
			return err
		}
		reused = false
	}
}

// fastUserAgent is fasthttp's default User-Agent.
const fastUserAgent = "fasthttp"

// idempotent reports whether a request with this method may be resent, as
// net/http's list.
func idempotent(method []byte) bool {
	switch string(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// exchange writes req on conn and reads the answer into res, keeping at
// most limit body bytes, within the deadline the caller set on conn. stale
// reports a failure before any byte of an answer, when writing or on the
// first read: a kept-alive connection the server had closed. The request
// is written through w, which counts what left, and flushed through fw
// when raw (conn's RawConn) is not nil. Timeouts are
// fasthttp.ErrTimeout, as fasthttp's transport gives them.
//
// The read and write buffers come from pools shared by all sessions, only
// for the request's duration: an idle session holds none. (fasthttp pools
// them per Client, that is per user, so every idle user would keep 8 KB
// until two garbage collections pass, which a crowd of users waiting
// between requests seldom triggers.)
func exchange(conn net.Conn, raw syscall.RawConn, w *sentWriter, fw *flushWait, req *fasthttp.Request, res *fasthttp.Response, limit int) (stale bool, err error) {
	bw := acquireFastWriter(w)
	err = req.Write(bw)
	if err == nil {
		if raw != nil && w.n == 0 {
			err = fw.flush(raw, bw) // and wait for the answer: see flushWait
		} else {
			err = bw.Flush()
		}
	}
	releaseFastWriter(bw)
	if err != nil {
		if x, ok := err.(interface{ Timeout() bool }); ok && x.Timeout() {
			return false, fasthttp.ErrTimeout // as fasthttp's transport: any timeout
		}
		var op *net.OpError
		return errors.As(err, &op) && op.Op == "write", err
	}
	br := acquireFastReader(conn)
	err = res.ReadLimitBody(br, limit)
	releaseFastReader(br)
	// fasthttp reports any failure on the first byte, a reset too, as
	// io.EOF, and nothing else as io.EOF itself.
	return err == io.EOF, err
}

// sentWriter writes to a connection and counts the bytes that left, so a
// request cut short can tell whether the target got any of it.
type sentWriter struct {
	conn net.Conn
	n    int
}

func (w *sentWriter) Write(p []byte) (int, error) {
	n, err := w.conn.Write(p)
	w.n += n
	return n, err
}

// fastBufferSize is fasthttp's default ReadBufferSize and WriteBufferSize.
const fastBufferSize = 4096

var fastReaders, fastWriters sync.Pool // *bufio.Reader, *bufio.Writer of fastBufferSize

func acquireFastReader(conn net.Conn) *bufio.Reader {
	if br, ok := fastReaders.Get().(*bufio.Reader); ok {
		br.Reset(conn)
		return br
	}
	return bufio.NewReaderSize(conn, fastBufferSize)
}

func releaseFastReader(br *bufio.Reader) {
	br.Reset(nil) // drop the connection
	fastReaders.Put(br)
}

func acquireFastWriter(w io.Writer) *bufio.Writer {
	if bw, ok := fastWriters.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, fastBufferSize)
}

func releaseFastWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	fastWriters.Put(bw)
}
