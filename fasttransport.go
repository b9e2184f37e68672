package herd

import (
	"bufio"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// fastTransport is every FastSession's fasthttp.RoundTripper: fasthttp's
// own transport (fasthttp.DefaultTransport, v1.78) with one difference, the
// read and write buffers come from pools shared by all sessions. fasthttp
// pools them per Client, that is per user here, so every idle user would
// keep 8 KB of buffers until two garbage collections pass, which a crowd of
// users waiting between requests seldom triggers. Connections are still the
// HostClient's (AcquireConn, ReleaseConn, CloseConn): each user keeps its own.
//
// A HostClient cannot tell a transport the request's timeout, so the
// session sets deadline before each request; the zero time means none.
// Streamed response bodies (herd never asks for them) and buffer sizes
// other than fasthttp's default go to fasthttp's transport.
type fastTransport struct {
	deadline time.Time
}

// fastBufferSize is fasthttp's default ReadBufferSize and WriteBufferSize.
const fastBufferSize = 4096

var fastReaders, fastWriters sync.Pool // *bufio.Reader, *bufio.Writer of fastBufferSize

func (t *fastTransport) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (retry bool, err error) {
	if resp.StreamBody || hc.ReadBufferSize > 0 && hc.ReadBufferSize != fastBufferSize ||
		hc.WriteBufferSize > 0 && hc.WriteBufferSize != fastBufferSize {
		return fasthttp.DefaultTransport.RoundTrip(hc, req, resp)
	}
	var timeout time.Duration
	if !t.deadline.IsZero() {
		if timeout = time.Until(t.deadline); timeout <= 0 {
			return false, fasthttp.ErrTimeout
		}
	}
	cc, err := hc.AcquireConn(timeout, req.ConnectionClose())
	if err != nil {
		return false, err
	}
	conn := cc.Conn()
	resp.ParseNetConn(conn)

	if err = conn.SetWriteDeadline(earliest(t.deadline, hc.WriteTimeout)); err != nil {
		hc.CloseConn(cc)
		return true, err
	}
	resetConnection := false
	if hc.MaxConnDuration > 0 && time.Since(cc.CreatedTime()) > hc.MaxConnDuration && !req.ConnectionClose() {
		req.SetConnectionClose()
		resetConnection = true
	}
	bw := acquireFastWriter(conn)
	err = req.Write(bw)
	if resetConnection {
		req.Header.ResetConnectionClose()
	}
	if err == nil {
		err = bw.Flush()
	}
	releaseFastWriter(bw)
	if x, ok := err.(interface{ Timeout() bool }); ok && x.Timeout() {
		err = fasthttp.ErrTimeout // as fasthttp's transport: any timeout
	}
	if err != nil {
		hc.CloseConn(cc)
		return true, err
	}

	if err = conn.SetReadDeadline(earliest(t.deadline, hc.ReadTimeout)); err != nil {
		hc.CloseConn(cc)
		return true, err
	}
	if req.Header.IsHead() {
		resp.SkipBody = true
	}
	if hc.DisableHeaderNamesNormalizing {
		resp.Header.DisableNormalizing()
	}
	br := acquireFastReader(conn)
	err = resp.ReadLimitBody(br, hc.MaxResponseBodySize)
	releaseFastReader(br)
	if err != nil {
		hc.CloseConn(cc)
		// A body too large would be too large again.
		return err != fasthttp.ErrBodyTooLarge, err
	}
	if resetConnection || req.ConnectionClose() || resp.ConnectionClose() {
		hc.CloseConn(cc)
	} else {
		hc.ReleaseConn(cc)
	}
	return false, nil
}

// earliest is deadline or now+timeout (timeout > 0), whichever comes
// first; the zero time means no deadline.
func earliest(deadline time.Time, timeout time.Duration) time.Time {
	if timeout > 0 {
		if d := time.Now().Add(timeout); deadline.IsZero() || d.Before(deadline) {
			return d
		}
	}
	return deadline
}

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

func acquireFastWriter(conn net.Conn) *bufio.Writer {
	if bw, ok := fastWriters.Get().(*bufio.Writer); ok {
		bw.Reset(conn)
		return bw
	}
	return bufio.NewWriterSize(conn, fastBufferSize)
}

func releaseFastWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	fastWriters.Put(bw)
}
