package herd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/herdload/herd/internal/failure"
)

// HTTPUser gives a user type a net/http client with its own cookie jar and
// keep-alive connections, like Locust's HttpUser. Embed it in the user's
// struct; herd sets Client up before OnStart:
//
//	type Shopper struct{ herd.HTTPUser }
//
//	func (u *Shopper) home(ctx context.Context) error {
//		return u.Client.Get(ctx, "/").Err()
//	}
//
// Its host must be an http:// or https:// URL: a run whose -H (or the
// type's Host) is anything else refuses to start, naming the type.
type HTTPUser struct {
	Client *Session
}

func (u *HTTPUser) herdInit(env *userEnv) { u.Client = newSession(env) }
func (u *HTTPUser) herdClose()            { u.Client.Close() }

// defaultMaxBody is how much of a body a Response keeps (the rest is read,
// counted and dropped). Tests set a smaller limit through userEnv.maxBody.
const defaultMaxBody = 16 << 20

// Session is one simulated user's HTTP client: cookies, default headers and
// connections of its own, a base URL for relative paths, and every request
// timed and recorded. It is safe for concurrent use by the user's own
// goroutines.
type Session struct {
	// Header is sent with every request; a request's Header option wins.
	Header http.Header
	// HTTP is the underlying client, for settings such as TLS or proxies;
	// change it in OnStart, before the first request. Requests sent
	// through it directly (by an SDK given it, say) are recorded too, as
	// Transport records them: its Transport is a *Transport whose Next is
	// the session's own *http.Transport. A transport of yours put in
	// HTTP.Transport (or a client of yours in HTTP) goes under the
	// recording one at the session's next request.
	HTTP *http.Client

	env  *userEnv
	base string
	tr   *http.Transport // the session's own, while HTTP uses it
	rec  *Transport      // HTTP's Transport: records the requests sent directly
	// wrote counts the bytes the session's connections wrote: a request
	// that fails at the kill without the count moving never left.
	wrote atomic.Uint64
	mu    sync.Mutex // guards moving a transport of the user's under rec
	doing doing      // Do's requests in flight, which rec lets through
}

// NewSession makes another HTTP session for the user of ctx (a task's or
// OnStart's), with base as its base URL, like the HttpSession Locust's
// multiple_hosts.py adds: cookies and connections of its own, its requests
// timed and recorded like those of the user's Client, closed when the user
// stops. base must be an absolute http:// or https:// URL.
func NewSession(ctx context.Context, base string) (*Session, error) {
	env, err := baseEnv(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("herd.NewSession: %w", err)
	}
	s := newSessionAt(env, base)
	env.onClose(s.Close)
	return s, nil
}

// baseEnv is the user of ctx, which must be one, for a session to base.
func baseEnv(ctx context.Context, base string) (*userEnv, error) {
	env := envFrom(ctx)
	if env == nil {
		return nil, errNoUser
	}
	if !isHTTPURL(base) {
		return nil, fmt.Errorf("base %q is not an absolute http:// or https:// URL", base)
	}
	return env, nil
}

// errNoUser is the error of a function that needs a user's context.
var errNoUser = errors.New("the context is not a user's (a task's or OnStart's)")

func newSession(env *userEnv) *Session { return newSessionAt(env, env.host) }

// newSessionAt makes a session for env's user with base as its base URL.
func newSessionAt(env *userEnv, base string) *Session {
	jar, _ := cookiejar.New(nil) // cannot fail without options
	s := &Session{Header: make(http.Header), env: env, base: strings.TrimRight(base, "/")}
	dialer := &net.Dialer{Timeout: env.timeout, KeepAlive: 30 * time.Second}
	s.tr = &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, wrote: &s.wrote}, nil
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   env.timeout,
		ExpectContinueTimeout: time.Second,
	}
	s.rec = &Transport{Next: s.tr, session: s}
	s.HTTP = &http.Client{Transport: s.rec, Jar: jar}
	return s
}

// adopt puts a transport the user set in HTTP under the recording one.
func (s *Session) adopt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t := s.HTTP.Transport.(type) {
	case *Transport:
		t.session = s // records by itself, Do's requests aside
		s.rec = t
	default:
		s.rec = &Transport{Next: t, session: s}
		s.HTTP.Transport = s.rec
	}
}

// countingConn counts what a session's connection writes.
type countingConn struct {
	net.Conn
	wrote *atomic.Uint64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wrote.Add(uint64(n))
	return n, err
}

// Close drops the session's idle connections; herd calls it when the user
// stops.
func (s *Session) Close() {
	if s == nil {
		return
	}
	if s.HTTP != nil {
		s.HTTP.CloseIdleConnections()
	}
	if s.tr != nil {
		s.tr.CloseIdleConnections() // when HTTP no longer sends through it
	}
}

// Get sends a GET request. url is relative to the host (-H/--host) unless
// absolute.
func (s *Session) Get(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodGet, target, Body{}, opts...)
}

// Post sends a POST request with body.
func (s *Session) Post(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPost, target, body, opts...)
}

// Put sends a PUT request with body.
func (s *Session) Put(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPut, target, body, opts...)
}

// Patch sends a PATCH request with body.
func (s *Session) Patch(ctx context.Context, target string, body Body, opts ...Option) *Response {
	return s.Do(ctx, http.MethodPatch, target, body, opts...)
}

// Delete sends a DELETE request.
func (s *Session) Delete(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodDelete, target, Body{}, opts...)
}

// Head sends a HEAD request.
func (s *Session) Head(ctx context.Context, target string, opts ...Option) *Response {
	return s.Do(ctx, http.MethodHead, target, Body{}, opts...)
}

// Do sends a request, reads the whole response, records it and returns it.
// It never returns nil; check Response.Err.
func (s *Session) Do(ctx context.Context, method, target string, body Body, opts ...Option) *Response {
	o := applyOptions(opts)
	full, name := joinURL(s.base, target)
	if o.name != "" {
		name = o.name
	}
	resp := &Response{kind: method, name: name}
	if body.err != nil {
		resp.err = body.err
		return resp
	}
	if s.env.unsent(ctx) {
		resp.err = ctx.Err() // the user was killed: nothing to send or record
		return resp
	}
	caller := ctx // record's: the kill cancels it, the request's timeout below does not
	// The timeout is a deadline on the context rather than http.Client's
	// Timeout, so that a request's Timeout option may be longer than
	// --request-timeout as well as shorter. The context is the request's
	// own, by which the recording transport knows it (see doing).
	timeout := s.env.timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	var cancel context.CancelFunc
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	if s.HTTP.Transport != s.rec {
		s.adopt()
	}
	var rd io.Reader
	if body.data != nil {
		rd = bytes.NewReader(body.data)
	}
	req, err := http.NewRequestWithContext(ctx, method, full, rd)
	if err != nil {
		resp.err = fmt.Errorf("%s %s: %w", method, target, err)
		return resp
	}
	for k, v := range s.Header {
		req.Header[k] = v
	}
	if body.contentType != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", body.contentType)
	}
	for i := range opts {
		if op := &opts[i]; op.kind == optHeader {
			req.Header.Set(op.key, op.value)
		}
	}
	if h, ok := req.Header["Host"]; ok {
		// net/http ignores a Host header: the request's Host field is sent.
		if len(h) > 0 {
			req.Host = h[0]
		}
		delete(req.Header, "Host")
	}

	start := time.Now()
	wrote := s.wrote.Load()
	s.doing.add(ctx)
	hr, err := s.HTTP.Do(req)
	if err == nil {
		resp.StatusCode = hr.StatusCode
		resp.header = hr.Header
		resp.Body, resp.Size, err = readBody(hr, s.maxBody())
		hr.Body.Close()
	}
	resp.Duration = time.Since(start)
	s.doing.remove(ctx)
	if err != nil && s.cutUnsent(caller, ctx, wrote) {
		resp.err = httpError(err) // killed before any of it left: nothing to record
		return resp
	}
	if err != nil {
		resp.err = httpError(err)
	} else {
		resp.err = resp.verdict(&o)
	}
	resp.recorded = true
	s.env.record(caller, &Request{Kind: method, Name: name, Start: start, Duration: resp.Duration, Size: resp.Size, Err: resp.err,
		URL: full, Response: resp, Context: caller})
	return resp
}

// cutUnsent reports whether a request that failed was cut by its user's
// kill before any of it left: the kill cancelled ctx, the request's context
// (its own timeout, had it expired first, would make ctx's error
// DeadlineExceeded: a timeout that the kill merely followed is recorded),
// and the session's connections wrote nothing since wrote.
func (s *Session) cutUnsent(caller, ctx context.Context, wrote uint64) bool {
	return s.env.unsent(caller) && ctx.Err() == context.Canceled &&
		s.HTTP.Transport == s.rec && s.rec.Next == s.tr && s.wrote.Load() == wrote
}

func (s *Session) maxBody() int64 {
	if s.env.maxBody > 0 {
		return s.env.maxBody
	}
	return defaultMaxBody
}

// readBody reads a body in full, keeping at most limit bytes and counting
// the rest, so a huge body costs time but not memory. It reads to the end
// so that the connection can be reused.
func readBody(hr *http.Response, limit int64) ([]byte, int64, error) {
	if hr.Body == nil || hr.Body == http.NoBody {
		return nil, 0, nil // HEAD, 204, 304: whatever Content-Length says
	}
	if n := hr.ContentLength; n >= 0 && n <= limit {
		// The common case: read into a buffer of exactly the right size.
		buf := make([]byte, n)
		got, err := io.ReadFull(hr.Body, buf)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // n > 0 and nothing came
			}
			return buf[:got], int64(got), err
		}
		rest, err := io.Copy(io.Discard, hr.Body) // the EOF, normally
		return buf, int64(got) + rest, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(limit, 512)))
	kept, err := io.Copy(buf, io.LimitReader(hr.Body, limit))
	if err != nil {
		return buf.Bytes(), kept, err
	}
	rest, err := io.Copy(io.Discard, hr.Body)
	return buf.Bytes(), kept + rest, err
}

// httpError turns a net/http error into one internal/failure classifies
// well. It drops the *url.Error wrapper, whose text repeats the full URL
// (the failure table already shows the name), and marks a response that is
// not valid HTTP as a protocol error: net/http reports those as plain texts.
func httpError(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if isTransportError(err) {
		return err
	}
	var tpe textproto.ProtocolError
	if errors.As(err, &tpe) {
		return &failure.ProtocolError{Err: cutBroken(err)}
	}
	msg := err.Error()
	for _, s := range protocolTexts {
		if strings.Contains(msg, s) {
			return &failure.ProtocolError{Err: cutBroken(err)}
		}
	}
	return err
}

// isTransportError reports whether err is the network's or the context's
// doing, which internal/failure classifies by itself.
func isTransportError(err error) bool {
	var ne net.Error
	var errno syscall.Errno
	return errors.As(err, &ne) || errors.As(err, &errno) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// protocolTexts are the errors net/http gives, as plain texts, for a
// response it cannot parse.
var protocolTexts = []string{
	"malformed HTTP",               // status line
	"malformed chunked encoding",   // body
	"invalid byte in chunk length", // body
	"chunked encoding contains too much non-data",
	"bad Content-Length",               // headers
	"too many transfer encodings",      // headers
	"unsupported transfer encoding",    // headers
	"server response headers exceeded", // headers
	"invalid Trailer key",              // headers
}

// cutBroken drops net/http's "HTTP/1.x transport connection broken"
// prefix, which says nothing the failure class does not.
func cutBroken(err error) error {
	if strings.HasPrefix(err.Error(), "net/http: HTTP/1.x transport connection broken: ") {
		if inner := errors.Unwrap(err); inner != nil {
			return inner
		}
	}
	return err
}
