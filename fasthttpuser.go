package herd

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// HTTP is the underlying client; change its settings in OnStart.
	HTTP *fasthttp.Client

	fastSession
}

// fastSession holds the reused objects; Response points back to it.
type fastSession struct {
	env     *userEnv
	base    string
	req     *fasthttp.Request
	res     *fasthttp.Response
	resp    Response
	jar     *cookiejar.Jar
	cookies bool // the jar has received a cookie
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
			MaxConnsPerHost:               4,
			MaxResponseBodySize:           int(limit),
			ReadTimeout:                   env.timeout,
			WriteTimeout:                  env.timeout,
			NoDefaultUserAgentHeader:      false,
			DisableHeaderNamesNormalizing: false,
			Dial:                          (&fasthttp.TCPDialer{Concurrency: 0}).Dial,
		},
	}
	s.fastSession = fastSession{
		env:  env,
		base: strings.TrimRight(env.host, "/"),
		req:  fasthttp.AcquireRequest(),
		res:  fasthttp.AcquireResponse(),
		jar:  jar,
	}
	return s
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
func (s *FastSession) Do(ctx context.Context, method, target string, body Body, opts ...Option) *Response {
	var o reqOptions
	for _, opt := range opts {
		opt(&o)
	}
	full, name := joinURL(s.base, target)
	if o.name != "" {
		name = o.name
	}
	resp := &s.resp
	*resp = Response{kind: method, name: name, fast: &s.fastSession}
	if body.err != nil {
		resp.err = body.err
		return resp
	}
	if err := ctx.Err(); err != nil {
		resp.err = err // stopping: do not send
		return resp
	}

	req, res := s.req, s.res
	req.Reset()
	res.Reset()
	req.Header.SetMethod(method)
	req.SetRequestURI(full)
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
	for i := 0; i+1 < len(o.headers); i += 2 {
		req.Header.Set(o.headers[i], o.headers[i+1])
	}
	var u *url.URL
	if s.cookies {
		u, _ = url.Parse(full)
		if u != nil {
			for _, c := range s.jar.Cookies(u) {
				req.Header.SetCookie(c.Name, c.Value)
			}
		}
	}
	timeout := s.env.timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	req.SetTimeout(timeout)

	start := time.Now()
	err := s.HTTP.DoRedirects(req, res, maxRedirects)
	resp.Duration = time.Since(start)
	if err == nil {
		resp.StatusCode = res.StatusCode()
		resp.Body = res.Body()
		resp.Size = int64(len(resp.Body))
		s.keepCookies(u, full)
		resp.err = resp.verdict(o.check)
	} else {
		resp.err = fastError(err)
	}
	resp.recorded = true
	s.env.record(&Request{Kind: method, Name: name, Start: start, Duration: resp.Duration, Size: resp.Size, Err: resp.err})
	return resp
}

// keepCookies stores the response's Set-Cookie headers in the jar.
func (s *fastSession) keepCookies(u *url.URL, full string) {
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
func fastError(err error) error {
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fmt.Errorf("response body larger than the %d-byte limit: %w", defaultMaxBody, err)
	}
	var pe *fasthttp.ErrSmallBuffer
	if errors.As(err, &pe) {
		return &failure.ProtocolError{Err: err}
	}
	return err
}
