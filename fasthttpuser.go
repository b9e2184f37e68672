package herd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/valyala/fasthttp"
)

// FastHTTPUser gives a user type a client built on valyala/fasthttp, for
// the most requests per CPU second and the least memory per idle user, with
// the same methods as HTTPUser. Embed it in the user's struct; herd sets
// Client up before OnStart.
//
// Unlike HTTPUser's Session, a FastSession reuses one response: a Response
// and its Body are valid only until the session's next request, and a
// FastSession must not be used by several goroutines at once. A request in
// flight ends as soon as its context is done, when its user is killed
// above all (a connection being dialled waits for the dial's end, at most
// the request's timeout). Like net/http, a FastSession resends a request
// (once, and only an idempotent one) only when a kept-alive connection
// turns out to be closed before any answer.
type FastHTTPUser struct {
	Client *FastSession
}

func (u *FastHTTPUser) herdInit(env *userEnv) { u.Client = newFastSession(env) }
func (u *FastHTTPUser) herdClose()            { u.Client.Close() }

// FastSession is one simulated user's fasthttp client: its own connections
// and cookies, a base URL, default headers, every request timed and
// recorded. See FastHTTPUser for its reuse rules.
//
// A FastSession sends its requests itself, with fasthttp's request and
// response types, on keep-alive connections of its own: one per host, for
// up to 4 hosts; one idle for more than 90 s is replaced, not reused. An
// idle session holds its connection, its last response and its cookies, no
// goroutine and no buffer. It sends what a fasthttp.Client would, its
// default User-Agent "fasthttp" included.
type FastSession struct {
	// Header is sent with every request; a request's Header option wins.
	Header http.Header
	// TLSConfig, when not nil, sets up HTTPS connections instead of the
	// defaults (the system's roots, the URL's host as ServerName): custom
	// roots, client certificates, InsecureSkipVerify. It is cloned for
	// each connection, ServerName filled in when empty. Set it in OnStart.
	TLSConfig *tls.Config
	// HTTP is nil by default. Setting it (in OnStart) to a client of one's
	// own, for a proxy or a custom dialer, sends the requests through that
	// client instead of the session's own connections; herd still sets each
	// request's deadline, follows redirects, keeps cookies and records the
	// requests. Such a client brings fasthttp's rules with it: two
	// goroutines of its own per user, its MaxResponseBodySize (0 is no
	// limit), its resends (by default, of idempotent requests up to 5
	// times after any failure), its User-Agent and TLS settings; and its
	// requests run to their deadline even when the user is killed.
	HTTP *fasthttp.Client

	fastSession
}

// fastSession holds the reused objects; Response points back to it.
type fastSession struct {
	env       *userEnv
	base      string
	res       *fasthttp.Response
	resp      Response
	uri       []byte         // the request URL, reused
	conns     fastConns      // idle keep-alive connections
	abort     fastAbort      // ends the exchange in flight when its context is done
	sent      sentWriter     // the exchange in flight's writes, counted
	flushWait flushWait      // sends a request and waits for its answer
	limit     int            // body bytes read at most
	jar       *cookiejar.Jar // made on the first cookie received
}

// NewFastSession makes another fasthttp session for the user of ctx (a
// task's or OnStart's), with base as its base URL: NewSession's twin for a
// FastHTTPUser, with FastSession's reuse rules. It is closed when the user
// stops. base must be an absolute http:// or https:// URL.
func NewFastSession(ctx context.Context, base string) (*FastSession, error) {
	env, err := baseEnv(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("herd.NewFastSession: %w", err)
	}
	s := newFastSessionAt(env, base)
	env.onClose(s.Close)
	return s, nil
}

func newFastSession(env *userEnv) *FastSession { return newFastSessionAt(env, env.host) }

// newFastSessionAt makes a session for env's user with base as its base URL.
func newFastSessionAt(env *userEnv, base string) *FastSession {
	limit := env.maxBody
	if limit <= 0 {
		limit = defaultMaxBody
	}
	return &FastSession{
		Header: make(http.Header),
		fastSession: fastSession{
			env:   env,
			base:  strings.TrimRight(base, "/"),
			res:   fasthttp.AcquireResponse(),
			limit: int(limit),
		},
	}
}

// Close releases the session's connections and its response.
func (s *FastSession) Close() {
	if s == nil || s.res == nil {
		return
	}
	s.abort.close(s.env)
	s.conns.closeAll()
	if s.HTTP != nil {
		s.HTTP.CloseIdleConnections()
	}
	fasthttp.ReleaseResponse(s.res)
	s.res = nil
}

// Get sends a GET request. url is relative to the host unless absolute.
func (s *FastSession) Get(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodGet, target, Body{}, opts...)
}

// Post sends a POST request with body.
func (s *FastSession) Post(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPost, target, body, opts...)
}

// Put sends a PUT request with body.
func (s *FastSession) Put(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPut, target, body, opts...)
}

// Patch sends a PATCH request with body.
func (s *FastSession) Patch(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPatch, target, body, opts...)
}

// Delete sends a DELETE request.
func (s *FastSession) Delete(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodDelete, target, Body{}, opts...)
}

// Head sends a HEAD request.
func (s *FastSession) Head(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodHead, target, Body{}, opts...)
}

// maxRedirects matches net/http's default.
const maxRedirects = 10

// Do sends a request, reads the whole response, records it and returns the
// session's reused Response. It never returns nil; check Response.Err.
//
// Redirects are followed as net/http does: cookies set along the way are
// kept, 301, 302 and 303 turn the request into a GET without a body (a HEAD
// stays a HEAD), and the timeout covers the whole chain.
func (s *FastSession) Do(ctx context.Context, method, target string, body Body, opts ...Option) *Response {
	o := applyOptions(opts)
	// A relative URL (the usual case) is built into a reused buffer, and
	// its full string only made when cookies or a redirect need it.
	var full, name string
	if hasHTTPScheme(target) {
		full, name = target, absoluteName(target)
	} else {
		var rel string
		rel, name = relativeURL(s.base, target)
		s.uri = append(append(s.uri[:0], s.base...), rel...)
	}
	if o.name != "" {
		name = o.name
	}
	resp := &s.resp
	*resp = Response{kind: method, name: name, fast: &s.fastSession}
	if body.err != nil {
		resp.err = body.err
		return resp
	}
	done := ctx.Err() // a cancelled context sends nothing, as in net/http
	if done != nil && s.env.ctx.Err() != nil {
		resp.err = done // the user was killed: nothing to send or record
		return resp
	}
	timeout := s.env.timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	start := time.Now()
	var deadline time.Time
	if timeout > 0 {
		deadline = start.Add(timeout)
	}
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}

	// Only the response outlives the request: the request is the pool's.
	req, res := fasthttp.AcquireRequest(), s.res
	res.Reset()
	req.Header.SetNoDefaultContentType(true) // Raw("", data) sends none, as net/http
	req.Header.SetMethod(method)
	if full != "" {
		req.SetRequestURI(full)
	} else {
		req.SetRequestURIBytes(s.uri)
	}
	for k, vs := range s.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body.data != nil {
		req.SetBodyRaw(body.data)
		if body.contentType != "" && len(req.Header.ContentType()) == 0 {
			req.Header.SetContentType(body.contentType)
		}
	}
	for i := range opts {
		if op := &opts[i]; op.kind == optHeader {
			req.Header.Set(op.key, op.value)
		}
	}
	// A Host header is sent instead of the URL's host, as net/http does.
	req.UseHostHeader = len(req.Header.Host()) > 0

	err := done
	if err == nil {
		stop := s.abort.arm(ctx, s.env)
		err = s.send(ctx, req, full, start, deadline)
		s.abort.disarm(stop)
	}
	fasthttp.ReleaseRequest(req)
	resp.Duration = time.Since(start)
	if u, ok := err.(unsentError); ok {
		resp.err = u.err // killed before any of it left: nothing to record
		return resp
	}
	if err == nil {
		resp.StatusCode = res.StatusCode()
		resp.Body = res.Body()
		resp.Size = int64(len(resp.Body))
		resp.err = resp.verdict(&o)
	} else {
		resp.err = s.fastError(err)
	}
	resp.recorded = true
	r := Request{Kind: method, Name: name, Start: start, Duration: resp.Duration, Size: resp.Size, Err: resp.err,
		Response: resp, Context: ctx}
	if len(s.env.events.request) > 0 { // the URL's string only for a listener
		r.URL = full
		if full == "" {
			r.URL = string(s.uri)
		}
	}
	s.env.record(ctx, &r)
	return resp
}

// send sends the prepared request to full (s.uri when "") and follows
// redirects until the deadline (none when zero); start is when Do began.
func (s *FastSession) send(ctx context.Context, req *fasthttp.Request, full string, start, deadline time.Time) error {
	res := s.res
	var u *url.URL // full, parsed only when cookies need it
	for hops := 0; ; hops++ {
		if s.jar != nil {
			if full == "" {
				full = string(s.uri)
			}
			var err error
			if u, err = url.Parse(full); err == nil {
				for _, c := range s.jar.Cookies(u) {
					req.Header.SetCookie(c.Name, c.Value)
				}
			}
		}
		var err error
		switch {
		case s.HTTP == nil:
			now := start
			if hops > 0 {
				now = time.Now()
			}
			err = s.roundTrip(ctx, req, res, deadline, now)
			if u, ok := err.(unsentError); ok && hops > 0 {
				err = u.err // the chain's first request did leave
			}
		case deadline.IsZero():
			err = s.HTTP.Do(req, res)
		default:
			err = s.HTTP.DoDeadline(req, res, deadline)
		}
		if err != nil {
			return err
		}
		s.keepCookies(u, full, s.uri)
		code := res.StatusCode()
		if !fasthttp.StatusCodeIsRedirect(code) {
			return nil
		}
		location := res.Header.Peek("Location")
		if len(location) == 0 {
			return nil // nothing to follow: the 3xx is the answer, as in net/http
		}
		if hops == maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		oldHost := string(req.URI().Host())
		if err := req.URI().UpdateBytesErr(location); err != nil {
			return fmt.Errorf("redirect to %q: %w", location, err)
		}
		scheme := string(req.URI().Scheme())
		if scheme != "http" && scheme != "https" {
			return fmt.Errorf("redirect to %q: unsupported scheme", location)
		}
		full, u = req.URI().String(), nil
		redirectRequest(req, location, oldHost, code)
	}
}

// keepCookies stores the response's Set-Cookie headers in the jar; u is
// full parsed, or nil; full is "" when the URL is in uri.
func (s *fastSession) keepCookies(u *url.URL, full string, uri []byte) {
	var cookies []*http.Cookie
	for _, v := range s.res.Header.Cookies() {
		// Cookies yields (name, whole Set-Cookie value).
		if c, err := http.ParseSetCookie(string(v)); err == nil {
			cookies = append(cookies, c)
		}
	}
	if len(cookies) == 0 {
		return
	}
	if u == nil {
		if full == "" {
			full = string(uri)
		}
		var err error
		if u, err = url.Parse(full); err != nil {
			return
		}
	}
	if s.jar == nil {
		s.jar, _ = cookiejar.New(nil) // never fails without options
	}
	s.jar.SetCookies(u, cookies)
}

func (s *fastSession) headers() http.Header {
	h := make(http.Header)
	for k, v := range s.res.Header.All() {
		h.Add(string(k), string(v))
	}
	return h
}

// fastError maps fasthttp's errors onto the classes net/http's map to.
func (s *FastSession) fastError(err error) error {
	switch {
	case errors.Is(err, fasthttp.ErrDialTimeout):
		// A dial error, as net/http gives, so it reads "could not connect".
		return &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%w: %w", context.DeadlineExceeded, err)}
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrTLSHandshakeTimeout):
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		limit := s.limit
		if s.HTTP != nil {
			limit = s.HTTP.MaxResponseBodySize
		}
		return fmt.Errorf("response body larger than the %d-byte limit: %w", limit, err)
	case isTransportError(err):
		return err
	}
	var sb *fasthttp.ErrSmallBuffer
	if errors.As(err, &sb) {
		return &failure.ProtocolError{Err: fmt.Errorf("response headers too large: %w", fasthttp.ErrSmallReadBuffer)}
	}
	var bc fasthttp.ErrBrokenChunk
	if errors.As(err, &bc) {
		return &failure.ProtocolError{Err: fmt.Errorf("invalid chunked body: %w", err)}
	}
	msg := err.Error()
	for _, p := range fastProtocolTexts {
		if strings.HasPrefix(msg, p) {
			// "error when reading response headers: <what>: buffer
			// size=…, contents: <the bytes again>": keep <what>.
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return &failure.ProtocolError{Err: err}
		}
	}
	if msg == "empty hex number" || msg == "too large hex number" {
		return &failure.ProtocolError{Err: fmt.Errorf("invalid chunk size: %w", err)}
	}
	return err
}

// fastProtocolTexts start the errors fasthttp gives, as plain texts, for a
// response it cannot parse.
var fastProtocolTexts = []string{
	"error when reading response headers",
	"error when reading response trailer",
	"cannot parse content-length",
	"fasthttp: unsupported transfer-encoding",
	"fasthttp: unsupported content-encoding",
}

// redirectRequest makes req, whose URI already points at location, the
// request that follows a redirect with code from oldHost, as net/http does
// (FastSession and LoopUser both follow redirects with it).
func redirectRequest(req *fasthttp.Request, location []byte, oldHost string, code int) {
	if hasHTTPScheme(string(location)) {
		// A Host header only follows relative redirects.
		req.UseHostHeader = false
		req.Header.SetHostBytes(req.URI().Host())
	}
	if string(req.URI().Host()) != oldHost {
		// Credentials do not follow to another host; the jar adds the
		// cookies that belong there.
		req.Header.Del("Authorization")
		req.Header.DelAllCookies()
	}
	if code == http.StatusSeeOther || (code == http.StatusMovedPermanently || code == http.StatusFound) && !req.Header.IsGet() && !req.Header.IsHead() {
		if !req.Header.IsHead() {
			req.Header.SetMethod(http.MethodGet)
		}
		req.ResetBody()
		req.Header.Del("Content-Type")
		req.Header.Del("Content-Length")
	}
}
