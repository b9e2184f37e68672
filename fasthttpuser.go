package herd

import (
	"context"
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
// the most requests per CPU second, with the same methods as HTTPUser.
// Embed it in the user's struct; herd sets Client up before OnStart.
//
// Unlike HTTPUser's Session, a FastSession reuses one request and one
// response: a Response and its Body are valid only until the session's next
// request, and a FastSession must not be used by several goroutines at once.
// A request in flight cannot be cancelled: stopping a user waits for it, at
// most its timeout. Like net/http, a FastSession resends a request only when
// a kept-alive connection turns out to be closed before any answer.
type FastHTTPUser struct {
	Client *FastSession
}

func (u *FastHTTPUser) herdInit(env *userEnv) { u.Client = newFastSession(env) }
func (u *FastHTTPUser) herdClose()            { u.Client.Close() }

// FastSession is one simulated user's fasthttp client: its own connections
// and cookies, a base URL, default headers, every request timed and
// recorded. See FastHTTPUser for its reuse rules.
type FastSession struct {
	// Header is sent with every request; a request's Header option wins.
	Header http.Header
	// HTTP is the underlying client; change its settings in OnStart. Its
	// Transport is herd's (fasthttp's own, with buffers shared by all
	// sessions); any other RoundTripper may replace it.
	HTTP *fasthttp.Client

	fastSession
}

// fastSession holds the reused objects; Response points back to it.
type fastSession struct {
	env  *userEnv
	base string
	req  *fasthttp.Request
	res  *fasthttp.Response
	resp Response
	uri  []byte // the request URL, reused
	// transport sends the requests with buffers shared by all sessions.
	transport fastTransport
	jar       *cookiejar.Jar
	cookies   bool // the jar has received a cookie
}

func newFastSession(env *userEnv) *FastSession {
	jar, _ := cookiejar.New(nil)
	limit := env.maxBody
	if limit <= 0 {
		limit = defaultMaxBody
	}
	s := &FastSession{
		Header: make(http.Header),
		HTTP: &fasthttp.Client{
			MaxConnsPerHost:     4,
			MaxResponseBodySize: int(limit),
			// Each request has a deadline (its Timeout, else
			// --request-timeout), which bounds reading the response: a
			// ReadTimeout would cap a longer Timeout. WriteTimeout also
			// bounds the TLS handshake.
			WriteTimeout: env.timeout,
			// DialTimeout, unlike Dial, is given what is left of the
			// request's timeout. One dialer serves every session: each
			// TCPDialer runs a goroutine for its DNS cache.
			DialTimeout: dialAside,
			// As HTTPUser's IdleConnTimeout: a user that waits 10 s
			// between requests keeps its connection (fasthttp's default
			// would close it after 10 s).
			MaxIdleConnDuration: 90 * time.Second,
			RetryIfErr:          retryStale,
		},
	}
	s.fastSession = fastSession{
		env:  env,
		base: strings.TrimRight(env.host, "/"),
		req:  fasthttp.AcquireRequest(),
		res:  fasthttp.AcquireResponse(),
		jar:  jar,
	}
	s.HTTP.Transport = &s.transport
	return s
}

// fastDialer dials for every FastSession. It keeps resolved addresses for
// a minute (fasthttp's default), as a shared resolver cache would.
var fastDialer = &fasthttp.TCPDialer{}

// dialAside dials with fastDialer on a short-lived goroutine of its own.
// Dialing (resolving, connecting) needs a deep stack; done on the user's
// goroutine, it grows that stack for good (until enough garbage collections
// shrink it), which costs every idle user several KB. A new connection is
// rare enough that one goroutine more per dial costs nothing measurable.
func dialAside(addr string, timeout time.Duration) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := fastDialer.DialTimeout(addr, timeout)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// retryStale retries a request only when its connection failed before any
// response byte came, as a keep-alive connection the server has just closed
// does, and only when the method is idempotent: what net/http retries.
// fasthttp's default would also resend after a timeout, an invalid or a
// partial response, which would hide failures and multiply the load.
//
// fasthttp reports any error on the first byte of a response as io.EOF,
// and has no background reader to notice closed idle connections as
// net/http does, so a server that resets or closes every new connection
// before answering is tried again too (5 times in all, enough to get past
// the MaxConnsPerHost connections that may all be stale): each such request
// is still recorded once.
func retryStale(req *fasthttp.Request, _ int, err error) (resetTimeout, retry bool) {
	var op *net.OpError
	if !errors.Is(err, io.EOF) && !(errors.As(err, &op) && op.Op == "write") {
		return false, false
	}
	switch string(req.Header.Method()) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return false, true
	}
	return false, false
}

// Close releases the session's connections and buffers.
func (s *FastSession) Close() {
	if s == nil || s.req == nil {
		return
	}
	s.HTTP.CloseIdleConnections()
	fasthttp.ReleaseRequest(s.req)
	fasthttp.ReleaseResponse(s.res)
	s.req, s.res = nil, nil
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

	req, res := s.req, s.res
	req.Reset()
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

	err := ctx.Err() // a cancelled context sends nothing, as in net/http
	if err == nil {
		err = s.send(full, deadline)
	}
	resp.Duration = time.Since(start)
	if err == nil {
		resp.StatusCode = res.StatusCode()
		resp.Body = res.Body()
		resp.Size = int64(len(resp.Body))
		resp.err = resp.verdict(o.check)
	} else {
		resp.err = s.fastError(err)
	}
	resp.recorded = true
	s.env.record(&Request{Kind: method, Name: name, Start: start, Duration: resp.Duration, Size: resp.Size, Err: resp.err})
	return resp
}

// send sends the prepared request to full (s.uri when "") and follows
// redirects until the deadline (none when zero).
func (s *FastSession) send(full string, deadline time.Time) error {
	req, res := s.req, s.res
	var u *url.URL // full, parsed only when cookies need it
	for hops := 0; ; hops++ {
		if s.cookies {
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
		s.transport.deadline = deadline
		if deadline.IsZero() {
			err = s.HTTP.Do(req, res)
		} else {
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
		if hasHTTPScheme(string(location)) {
			// As net/http: a Host header only follows relative redirects.
			req.UseHostHeader = false
			req.Header.SetHostBytes(req.URI().Host())
		}
		if string(req.URI().Host()) != oldHost {
			// As net/http: credentials do not follow to another host; the
			// jar adds the cookies that belong there.
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
	s.jar.SetCookies(u, cookies)
	s.cookies = true
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
		return fmt.Errorf("response body larger than the %d-byte limit: %w", s.HTTP.MaxResponseBodySize, err)
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
