package herd

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Transport is an http.RoundTripper that times and records every request
// it sends, for the clients herd does not make itself: a third-party SDK
// built on net/http, or a Session's HTTP client used directly (which sends
// through one already). Put it under the SDK's client:
//
//	sdk := shop.NewClient(shop.WithHTTPClient(&http.Client{
//		Transport: herd.NewTransport(ctx, nil),
//	}))
//
// A request is recorded as its method and, unless Name says otherwise, its
// URL's path (without the query, which SDKs fill with tokens and ids), in
// the statistics of the user its context belongs to, or else the user
// NewTransport was given. It is timed from the call until its body is read
// to the end or closed, and its size is the body bytes read. A status of
// 400 or more fails it, as does an error of the transport or of the
// body's read. Each request of a redirect chain is recorded on its own.
// A request that asks to switch protocols (an Upgrade header, as a
// WebSocket handshake) is sent unrecorded: its protocol's client, such as
// herdws, times the connect itself.
// Outside a user, requests are sent and not recorded.
type Transport struct {
	// Next sends the requests; nil means http.DefaultTransport.
	Next http.RoundTripper
	// Name, when not nil, returns the statistics name of a request.
	Name func(*http.Request) string

	ctx     context.Context // NewTransport's: a user's
	session *Session        // the Session whose HTTP sends through it
}

// NewTransport returns a Transport that sends through next (nil:
// http.DefaultTransport) and records into the statistics of the user of
// ctx the requests whose own context is not a user's (an SDK that makes
// its own context). ctx is a task's or OnStart's.
func NewTransport(ctx context.Context, next http.RoundTripper) *Transport {
	return &Transport{Next: next, ctx: ctx}
}

// RoundTrip sends req through Next and records it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	ctx := req.Context()
	if t.session != nil && t.session.doing.has(ctx) {
		return next.RoundTrip(req) // Session.Do's: it records the whole exchange
	}
	if req.Header.Get("Upgrade") != "" {
		// A switch of protocols (a WebSocket handshake): the client of the
		// new protocol times its own connect (herdws's WS row), and the
		// upgraded connection must reach it as net/http returns it.
		return next.RoundTrip(req)
	}
	env := envFrom(ctx)
	if env == nil && t.ctx != nil {
		ctx = t.ctx
		env = envFrom(ctx)
	}
	if env == nil {
		return next.RoundTrip(req)
	}
	if env.unsent(req.Context()) {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even unsent
		}
		return nil, req.Context().Err() // the user was killed: nothing to send or record
	}
	name := req.URL.Path
	if name == "" {
		name = "/"
	}
	if t.Name != nil {
		name = t.Name(req)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet // net/http's reading of ""
	}
	rec := &recordedBody{env: env, ctx: req.Context(), req: Request{Kind: method, Name: name, URL: req.URL.String(), Context: ctx}}
	rec.req.Start = time.Now()
	res, err := next.RoundTrip(req)
	if err != nil {
		rec.done(0, httpError(err))
		return nil, err
	}
	rec.status, rec.header = res.StatusCode, res.Header
	if res.Body == nil || res.Body == http.NoBody {
		rec.done(0, nil)
		return res, nil
	}
	rec.body = res.Body
	res.Body = rec
	return res, nil
}

// CloseIdleConnections closes Next's idle connections, when it has a
// CloseIdleConnections method (http.Client.CloseIdleConnections calls it).
func (t *Transport) CloseIdleConnections() {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if c, ok := next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// recordedBody is a response body that records its request when it is
// read to the end, fails, or is closed.
type recordedBody struct {
	env    *userEnv
	ctx    context.Context // the request's own, for record's kill rule
	req    Request
	status int
	header http.Header
	body   io.ReadCloser
	size   int64

	once sync.Once
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.size += int64(n)
	switch {
	case err == io.EOF:
		b.done(b.size, nil)
	case err != nil:
		b.done(b.size, httpError(err))
	}
	return n, err
}

func (b *recordedBody) Close() error {
	err := b.body.Close()
	b.done(b.size, nil)
	return err
}

// done records the request once: with err, else the status rule's verdict.
func (b *recordedBody) done(size int64, err error) {
	b.once.Do(func() {
		r := &b.req
		r.Duration = time.Since(r.Start)
		r.Size = size
		if err == nil && b.status >= 400 {
			err = &StatusError{Code: b.status, Status: http.StatusText(b.status)}
		}
		r.Err = err
		if len(b.env.events.request) > 0 {
			r.Response = &Response{StatusCode: b.status, Size: size, Duration: r.Duration,
				kind: r.Kind, name: r.Name, err: err, recorded: true, header: b.header}
		}
		b.env.record(b.ctx, r)
	})
}

// doing holds the contexts of a Session's Do requests in flight (each has
// one of its own), which its Transport sends without recording them: Do
// records the whole exchange, redirects included, itself. A session seldom
// has more than one request in flight, so a short list under a lock of the
// session's own costs no allocation and no contention.
type doing struct {
	mu   sync.Mutex
	ctxs []context.Context
}

func (d *doing) add(ctx context.Context) {
	d.mu.Lock()
	d.ctxs = append(d.ctxs, ctx)
	d.mu.Unlock()
}

func (d *doing) remove(ctx context.Context) {
	d.mu.Lock()
	for i := len(d.ctxs) - 1; i >= 0; i-- {
		if d.ctxs[i] == ctx {
			last := len(d.ctxs) - 1
			d.ctxs[i] = d.ctxs[last]
			d.ctxs[last] = nil
			d.ctxs = d.ctxs[:last]
			break
		}
	}
	d.mu.Unlock()
}

func (d *doing) has(ctx context.Context) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.ctxs {
		if c == ctx {
			return true
		}
	}
	return false
}
