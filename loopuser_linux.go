//go:build linux

package herd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/herdload/herd/internal/evloop"
	"github.com/herdload/herd/internal/failure"
	"github.com/valyala/fasthttp"
)

// loopState is a LoopUser's running state. Once the user is handed to its
// loop, everything below env is touched on the loop's goroutine only, until
// done is closed.
type loopState struct {
	env   *userEnv
	share *loopShare
	reqs  []loopReq

	stopFn, killFn, beginFn func() // bound once
	done                    chan struct{}

	// On the loop:
	next     int  // the request to send next
	passes   int  // passes over reqs left; <0: until the user stops
	stopping bool // finish after the request in flight
	running  bool // a run is under way: done not closed yet
	conns    []loopConn
	cur      *loopReq
	wire     []byte // the bytes of the exchange in flight
	host     string // its host
	headOnly bool
	closes   bool // the exchange in flight asks to close its connection
	hops     int
	retried  bool
	resolve  bool // waiting for a host's address
	inflight *evloop.Conn
	start    time.Time
	lastEnd  time.Time
	timeout  evloop.Timer
	wait     evloop.Timer
	waitTime WaitTime
	jar      *cookiejar.Jar
	jarVer   int
	hop      *fasthttp.Request // a redirect's request, reused
	hopURL   string
	hopWire  bytes.Buffer
	resp     Response // for request listeners
}

// loopConn is a user's connection to one host.
type loopConn struct {
	host string
	c    *evloop.Conn
}

// loopReq is a LoopRequest ready to send.
type loopReq struct {
	method, name, full string
	u                  *url.URL
	host               string
	status             int
	headOnly           bool
	idempotent         bool
	closes             bool // the request asks to close the connection
	req                *fasthttp.Request
	wire               []byte
	jarVer             int // the jar's version wire was built for
}

// errLoopTimeout and errLoopDialTimeout are the request timeout's errors,
// made once: a timeout is common under overload.
var (
	errLoopTimeout     = fmt.Errorf("%w: %w", context.DeadlineExceeded, fasthttp.ErrTimeout)
	errLoopDialTimeout = &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%w: %w", context.DeadlineExceeded, fasthttp.ErrDialTimeout)}
	errLoopKilled      = context.Canceled
)

// loopBufSize is the read buffer of a connection, fasthttp's default: it
// bounds a response's head.
const loopBufSize = 4096

// prepare builds each request's bytes as a FastSession would send them.
func (u *LoopUser) prepare(context.Context) error {
	s := &u.loop
	env := s.env
	if env == nil {
		return errors.New("herd.LoopUser: not started by herd")
	}
	if len(u.Requests) == 0 {
		return errors.New("herd.LoopUser: no requests")
	}
	base := trimBase(env.host)
	s.reqs = make([]loopReq, len(u.Requests))
	var errs []error
	for i := range u.Requests {
		if err := s.reqs[i].build(&u.Requests[i], base); err != nil {
			errs = append(errs, fmt.Errorf("request %d (%s %s): %w", i, u.Requests[i].Method, u.Requests[i].URL, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("herd.LoopUser: %w", err)
	}
	if x := env.x; x != nil && x.set != nil {
		s.waitTime = x.set.wait
	}
	s.timeout.E = (*loopTimeout)(s)
	s.wait.E = (*loopWait)(s)
	s.stopFn, s.killFn, s.beginFn = s.stop, s.kill, s.begin
	return nil
}

func trimBase(host string) string {
	for len(host) > 0 && host[len(host)-1] == '/' {
		host = host[:len(host)-1]
	}
	return host
}

// build prepares r: the same fasthttp.Request FastSession.Do makes.
func (q *loopReq) build(r *LoopRequest, base string) error {
	q.method = r.Method
	if q.method == "" {
		q.method = http.MethodGet
	}
	if r.Body.err != nil {
		return r.Body.err
	}
	if hasHTTPScheme(r.URL) {
		q.full, q.name = r.URL, absoluteName(r.URL)
	} else {
		if base == "" {
			return errors.New("a relative URL needs a host (-H or UserType.Host)")
		}
		var rel string
		rel, q.name = relativeURL(base, r.URL)
		q.full = base + rel
	}
	if r.Name != "" {
		q.name = r.Name
	}
	u, err := url.Parse(q.full)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "HTTP" {
		return fmt.Errorf("%s:// is not supported (no TLS on the event loop): use FastHTTPUser", u.Scheme)
	}
	q.u = u
	q.status = r.Status
	q.headOnly = q.method == http.MethodHead
	q.idempotent = idempotent([]byte(q.method))
	req := new(fasthttp.Request)
	req.Header.SetNoDefaultContentType(true)
	req.Header.SetMethod(q.method)
	req.SetRequestURI(q.full)
	if r.Body.data != nil {
		req.SetBodyRaw(r.Body.data)
		if r.Body.contentType != "" {
			req.Header.SetContentType(r.Body.contentType)
		}
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for j, v := range r.Header[k] {
			if j == 0 {
				req.Header.Set(k, v)
			} else {
				req.Header.Add(k, v)
			}
		}
	}
	req.UseHostHeader = len(req.Header.Host()) > 0
	if len(req.Header.UserAgent()) == 0 {
		req.Header.SetUserAgent(fastUserAgent)
	}
	q.closes = req.ConnectionClose()
	q.host = string(req.URI().Host())
	if q.host == "" {
		return errors.New("no host in the URL")
	}
	q.req = req
	q.wire, err = wireBytes(req, q.wire[:0])
	return err
}

// wireBytes appends req as fasthttp writes it.
func wireBytes(req *fasthttp.Request, b []byte) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	bw := bufio.NewWriterSize(buf, fastBufferSize)
	if err := req.Write(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// run hands the user to its loop and waits until it is done: stopped,
// killed, or (open model) after one pass.
func (u *LoopUser) run(context.Context) error {
	passes := -1
	if u.loop.env.open {
		passes = 1
	}
	return u.runFor(passes)
}

// runFor runs passes over the requests (<0: until the user stops).
func (u *LoopUser) runFor(passes int) error {
	s := &u.loop
	if s.reqs == nil {
		return errors.New("herd.LoopUser: OnStart did not run")
	}
	if s.share == nil {
		sh, err := attachLoop(s.env.id)
		if err != nil {
			return err
		}
		s.share = sh
	}
	s.passes = passes
	s.done = make(chan struct{})
	s.running = true
	if !s.share.l.Post(s.beginFn) {
		return errors.New("herd.LoopUser: event loop closed")
	}
	var stop <-chan struct{}
	if x := s.env.x; x != nil {
		stop = x.h.stopCh()
	}
	life := s.env.ctx.Done()
	for {
		select {
		case <-s.done:
			return nil
		case <-stop:
			stop = nil
			s.share.l.Post(s.stopFn)
		case <-life:
			life = nil
			s.share.l.Post(s.killFn)
		}
	}
}

// close closes the user's connections on its loop and lets the loop go.
func (u *LoopUser) close() {
	s := &u.loop
	if s.share == nil {
		return
	}
	closed := make(chan struct{})
	if s.share.l.Post(func() { s.closeConns(); close(closed) }) {
		<-closed
	}
	s.share.detach()
	s.share = nil
}

// The rest runs on the loop's goroutine.

func (s *loopState) begin() {
	s.stopping = false
	s.lastEnd = s.share.l.Tick()
	s.sendNext(s.lastEnd)
}

// sendNext starts the next request, at now, or ends the run.
func (s *loopState) sendNext(now time.Time) {
	if s.stopping || s.passes == 0 || s.env.ctx.Err() != nil {
		s.finish()
		return
	}
	q := &s.reqs[s.next]
	if s.next++; s.next == len(s.reqs) {
		s.next = 0
		if s.passes > 0 {
			s.passes--
		}
	}
	s.cur, s.start, s.hops, s.retried, s.closes = q, now, 0, false, q.closes
	if s.jar != nil && q.jarVer != s.jarVer {
		s.withCookies(q)
	}
	if t := s.env.timeout; t > 0 {
		s.share.l.Arm(&s.timeout, now.Add(t))
	}
	s.exchange(q.wire, q.host, q.headOnly)
}

// withCookies rebuilds q's bytes with the jar's cookies for its URL.
func (s *loopState) withCookies(q *loopReq) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	q.req.CopyTo(req)
	for _, c := range s.jar.Cookies(q.u) {
		req.Header.SetCookie(c.Name, c.Value)
	}
	if b, err := wireBytes(req, q.wire[:0]); err == nil {
		q.wire, q.jarVer = b, s.jarVer
	}
}

// exchange sends wire to host on the user's connection there, dialling
// one when needed.
func (s *loopState) exchange(wire []byte, host string, headOnly bool) {
	s.wire, s.host, s.headOnly = wire, host, headOnly
	for i := range s.conns {
		lc := &s.conns[i]
		if lc.host != host {
			continue
		}
		if lc.c.Usable() {
			s.inflight = lc.c
			lc.c.Send(wire, headOnly)
			return
		}
		lc.c.Close()
		s.conns = slices.Delete(s.conns, i, i+1)
		break
	}
	addr, ok, err := s.share.lookup(host)
	if err != nil {
		s.done1(err)
		return
	}
	if !ok {
		s.resolve = true
		s.share.resolve(host, s.deadline(), func() {
			if s.resolve {
				s.resolve = false
				s.exchange(s.wire, s.host, s.headOnly)
			}
		})
		return
	}
	s.dial(addr)
}

func (s *loopState) deadline() time.Time {
	if s.timeout.Armed() {
		return s.timeout.When
	}
	return time.Time{}
}

func (s *loopState) dial(addr netip.AddrPort) {
	c, err := evloop.Dial(s.share.l, addr, s, loopBufSize)
	if err != nil {
		s.done1(err)
		return
	}
	if len(s.conns) == fastMaxHosts {
		s.conns[0].c.Close()
		s.conns = slices.Delete(s.conns, 0, 1)
	}
	s.conns = append(s.conns, loopConn{host: s.host, c: c})
	s.inflight = c
	c.P.Limit = s.limit()
	c.Send(s.wire, s.headOnly)
}

func (s *loopState) limit() int64 {
	if s.env.maxBody > 0 {
		return s.env.maxBody
	}
	return defaultMaxBody
}

// Answered is the connection's: the response is whole.
func (s *loopState) Answered(c *evloop.Conn) {
	if c != s.inflight {
		return
	}
	s.inflight = nil
	if s.closes && !c.Closed() {
		s.forget(c)
		c.Close()
	}
	if c.P.HasCookies() {
		s.keepCookies(&c.P)
	}
	code := c.P.Status
	if code >= 300 && code < 400 && code != 304 && len(c.P.Location()) > 0 {
		s.redirect(c)
		return
	}
	var err error
	switch {
	case s.cur.status != 0 && code != s.cur.status:
		if code >= 400 {
			err = &StatusError{Code: code, Status: http.StatusText(code)}
		} else {
			err = &failure.UserError{Err: fmt.Errorf("status %d, want %d", code, s.cur.status)}
		}
	case s.cur.status == 0 && code >= 400:
		err = &StatusError{Code: code, Status: http.StatusText(code)}
	}
	s.complete(code, c.P.BodySize, err)
}

// Failed is the connection's: the exchange failed and c is closed.
func (s *loopState) Failed(c *evloop.Conn, err error) {
	if c != s.inflight {
		return
	}
	s.inflight = nil
	s.forget(c)
	// As net/http and FastSession: an idempotent request whose kept-alive
	// connection turned out closed before any answer is sent once more.
	if !c.Answering() && c.Served > 0 && !s.retried && s.idempotent() {
		s.retried = true
		s.exchange(s.wire, s.host, s.headOnly)
		return
	}
	s.done1(loopError(err))
}

func (s *loopState) idempotent() bool {
	if s.hops > 0 {
		return idempotent(s.hop.Header.Method())
	}
	return s.cur.idempotent
}

// loopError gives a connection's error the class FastSession's would have.
func loopError(err error) error {
	var tooLarge *evloop.BodyTooLarge
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, evloop.ErrHeadTooLarge), errors.Is(err, evloop.ErrStatusLine), errors.Is(err, evloop.ErrHeader),
		errors.Is(err, evloop.ErrLength), errors.Is(err, evloop.ErrEncoding), errors.Is(err, evloop.ErrChunk), errors.Is(err, evloop.ErrSwitch):
		return &failure.ProtocolError{Err: err}
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, fasthttp.ErrConnectionClosed)
	}
	return err
}

func (s *loopState) forget(c *evloop.Conn) {
	for i := range s.conns {
		if s.conns[i].c == c {
			s.conns = slices.Delete(s.conns, i, i+1)
			return
		}
	}
}

// done1 ends the request in flight with err (nil: a response without a
// status, never).
func (s *loopState) done1(err error) { s.complete(0, 0, err) }

// complete records the request that just ended and goes on.
func (s *loopState) complete(code int, size int64, err error) {
	l := s.share.l
	now := l.Tick()
	l.Disarm(&s.timeout)
	s.inflight, s.resolve = nil, false
	s.record(now, code, size, err)
	s.after(now)
}

func (s *loopState) record(now time.Time, code int, size int64, err error) {
	env := s.env
	d := now.Sub(s.start)
	r := Request{Kind: s.cur.method, Name: s.cur.name, Start: s.start, Duration: d, Size: size, Err: err, Context: env}
	if len(env.events.request) > 0 {
		s.resp = Response{StatusCode: code, Size: size, Duration: d, kind: s.cur.method, name: s.cur.name, err: err, recorded: true}
		r.Response, r.URL = &s.resp, s.cur.full
	}
	env.record(env, &r)
}

// after waits the user's wait time, if any, then sends the next request.
func (s *loopState) after(now time.Time) {
	if s.waitTime != nil && !s.stopping {
		if d := s.waitTime(now.Sub(s.lastEnd)); d > 0 {
			s.share.l.Arm(&s.wait, now.Add(d))
			return
		}
		s.lastEnd = now
	}
	s.sendNext(now)
}

// loopWait is the wait timer's Expirer.
type loopWait loopState

func (w *loopWait) Expire() {
	s := (*loopState)(w)
	s.lastEnd = s.share.l.Tick()
	s.sendNext(s.lastEnd)
}

// loopTimeout is the request timeout's Expirer.
type loopTimeout loopState

func (t *loopTimeout) Expire() {
	s := (*loopState)(t)
	var err error
	switch c := s.inflight; {
	case c != nil:
		err = errLoopTimeout
		if c.Connecting() {
			err = errLoopDialTimeout
		}
		s.forget(c)
		c.Close()
	case s.resolve:
		err = &net.DNSError{Err: "timeout", Name: s.host, IsTimeout: true}
	default:
		return // nothing in flight
	}
	s.done1(err)
}

// redirect follows the answer's Location, as FastSession.send does.
func (s *loopState) redirect(c *evloop.Conn) {
	if s.hops == maxRedirects {
		s.done1(fmt.Errorf("stopped after %d redirects", maxRedirects))
		return
	}
	if s.hop == nil {
		s.hop = new(fasthttp.Request)
	}
	req := s.hop
	if s.hops == 0 {
		s.cur.req.CopyTo(req)
		if s.jar != nil {
			for _, ck := range s.jar.Cookies(s.cur.u) {
				req.Header.SetCookie(ck.Name, ck.Value)
			}
		}
	}
	code := c.P.Status
	location := c.P.Location()
	oldHost := string(req.URI().Host())
	if err := req.URI().UpdateBytesErr(location); err != nil {
		s.done1(fmt.Errorf("redirect to %q: %w", location, err))
		return
	}
	if scheme := string(req.URI().Scheme()); scheme != "http" {
		s.done1(fmt.Errorf("redirect to %q: unsupported scheme", location))
		return
	}
	s.hops++
	s.hopURL = req.URI().String()
	redirectRequest(req, location, oldHost, code)
	if s.jar != nil {
		if u, err := url.Parse(s.hopURL); err == nil {
			for _, ck := range s.jar.Cookies(u) {
				req.Header.SetCookie(ck.Name, ck.Value)
			}
		}
	}
	s.hopWire.Reset()
	b, err := wireBytes(req, s.hopWire.Bytes())
	if err != nil {
		s.done1(err)
		return
	}
	s.retried, s.closes = false, req.ConnectionClose()
	s.exchange(b, string(req.URI().Host()), req.Header.IsHead())
}

// keepCookies stores the answer's Set-Cookie headers in the jar.
func (s *loopState) keepCookies(p *evloop.Parser) {
	var cookies []*http.Cookie
	p.Cookies(func(v []byte) {
		if c, err := http.ParseSetCookie(string(v)); err == nil {
			cookies = append(cookies, c)
		}
	})
	if len(cookies) == 0 {
		return
	}
	u := s.cur.u
	if s.hops > 0 {
		var err error
		if u, err = url.Parse(s.hopURL); err != nil {
			return
		}
	}
	if s.jar == nil {
		s.jar, _ = cookiejar.New(nil) // never fails without options
	}
	s.jar.SetCookies(u, cookies)
	s.jarVer++
}

// stop is the graceful stop: the request in flight finishes, then the run
// ends; a user waiting ends at once.
func (s *loopState) stop() {
	if !s.running {
		return
	}
	s.stopping = true
	if s.wait.Armed() {
		s.share.l.Disarm(&s.wait)
		s.finish()
	}
}

// kill ends the run at once; a request that left is recorded as
// interrupted, one that had not is not recorded (the target got nothing).
func (s *loopState) kill() {
	if !s.running {
		return
	}
	l := s.share.l
	sent := s.hops > 0 || s.inflight != nil && s.inflight.Wrote()
	if s.inflight != nil || s.resolve {
		l.Disarm(&s.timeout)
		if sent {
			s.record(l.Tick(), 0, 0, errLoopKilled)
		}
		s.inflight, s.resolve = nil, false
	}
	s.closeConns()
	s.finish()
}

// finish ends the run: the user's goroutine returns from its task.
func (s *loopState) finish() {
	l := s.share.l
	l.Disarm(&s.wait)
	l.Disarm(&s.timeout)
	if s.stopping || s.env.ctx.Err() != nil {
		s.closeConns()
	}
	s.running = false
	close(s.done)
}

func (s *loopState) closeConns() {
	for _, lc := range s.conns {
		lc.c.Close()
	}
	s.conns = s.conns[:0]
	s.inflight = nil
}
