package herd

// Tests of a FastSession's own connections: keep-alive per host, the idle
// limit, the bound on hosts, resends, TLS, and the fasthttp.Client escape
// hatch.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/valyala/fasthttp"
)

// isClosed reports whether this side closed c.
func isClosed(c net.Conn) bool {
	return errors.Is(c.SetDeadline(time.Time{}), net.ErrClosed)
}

func TestFastSessionRedialsAnOldIdleConnection(t *testing.T) {
	t.Parallel()
	addr, requests := wireServer(t)
	ctx, env, _ := sessionEnv(t, "http://"+addr, 0)
	s := newFastSession(env)
	defer s.Close()
	for i := range 3 {
		if i == 2 {
			// Idle for longer than fastMaxIdle: closed and redialled.
			s.conns.idle[0].used = time.Now().Add(-fastMaxIdle - time.Second)
		}
		var old net.Conn
		if len(s.conns.idle) == 1 {
			old = s.conns.idle[0].conn
		}
		if r := s.Get(ctx, "/"); r.Err() != nil {
			t.Fatal(r.Err())
		}
		if old != nil && isClosed(old) != (i == 2) {
			t.Errorf("request %d: the idle connection closed: %v", i, isClosed(old))
		}
	}
	var conns []int
	for _, r := range requests() {
		conns = append(conns, r.conn)
	}
	if len(conns) != 3 || conns[0] != 1 || conns[1] != 1 || conns[2] != 2 {
		t.Errorf("connections used: %v, want [1 1 2]", conns)
	}
	s.Close()
	if s.conns.idle != nil {
		t.Errorf("Close kept %d connections", len(s.conns.idle))
	}
}

func TestFastSessionKeepsFourHosts(t *testing.T) {
	t.Parallel()
	var addrs []string
	for range fastMaxHosts + 1 {
		addr, _ := wireServer(t)
		addrs = append(addrs, addr)
	}
	ctx, env, _ := sessionEnv(t, "http://"+addrs[0], 0)
	s := newFastSession(env)
	defer s.Close()
	var first net.Conn
	for i, addr := range addrs {
		if r := s.Get(ctx, "http://"+addr+"/"); r.Err() != nil {
			t.Fatal(r.Err())
		}
		if i == 0 {
			first = s.conns.idle[0].conn
		}
	}
	if !isClosed(first) {
		t.Error("the oldest host's connection is still open")
	}
	var hosts []string
	for _, c := range s.conns.idle {
		hosts = append(hosts, c.host)
	}
	if strings.Join(hosts, " ") != strings.Join(addrs[1:], " ") {
		t.Errorf("kept %q, want %q", hosts, addrs[1:])
	}
	// Back to a kept host: its connection, not a new one.
	kept := s.conns.idle[0].conn
	if r := s.Get(ctx, "http://"+addrs[1]+"/"); r.Err() != nil || s.conns.idle[len(s.conns.idle)-1].conn != kept {
		t.Errorf("Err %v; the kept connection was not reused", r.Err())
	}
}

func TestFastSessionMakesTheCookieJarOnTheFirstCookie(t *testing.T) {
	t.Parallel()
	addr, _ := wireServer(t)
	ctx, env, _ := sessionEnv(t, "http://"+addr, 0)
	s := newFastSession(env)
	defer s.Close()
	s.Get(ctx, "/")
	if s.jar != nil {
		t.Error("a jar without any cookie")
	}
	s.Get(ctx, "/cookie")
	if s.jar == nil {
		t.Error("no jar after a cookie")
	}
}

// silentCloser answers the first request on its first connection, then
// closes it without saying so; it closes every later connection after
// reading a request, without answering. It counts connections.
func silentCloser(t *testing.T) (addr string, conns *atomic.Int32) {
	t.Helper()
	conns = new(atomic.Int32)
	srv := loopbackServer(t, func(n int, c net.Conn) {
		conns.Add(1)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err == nil && n == 1 {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	return srv.String(), conns
}

// TestFastSessionResendsOnceOnlyIdempotentRequests: a request that finds
// its kept-alive connection closed is sent again once on a new connection,
// if idempotent; a new connection that fails is a failure.
func TestFastSessionResendsOnceOnlyIdempotentRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method string
		conns  int32 // connections the two requests take
	}{
		{http.MethodGet, 2},  // the stale one, then one new one
		{http.MethodPut, 2},  // idem
		{http.MethodPost, 1}, // not resent
	} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			addr, conns := silentCloser(t)
			ctx, env, st := sessionEnv(t, "http://"+addr, 0)
			s := newFastSession(env)
			defer s.Close()
			if r := s.Get(ctx, "/"); r.Err() != nil {
				t.Fatal(r.Err())
			}
			r := s.Do(ctx, tc.method, "/", Raw("", []byte("x")))
			const msg = "reset: server closed the connection before a full response"
			if got := failure.Message(r.err); got != msg {
				t.Errorf("failure %q, want %q", got, msg)
			}
			if n := conns.Load(); n != tc.conns {
				t.Errorf("%d connections, want %d", n, tc.conns)
			}
			now := time.Now()
			st.Tick(now, 1)
			if total := st.Snapshot(now, 1).Total; total.Requests != 2 || total.Failures != 1 {
				t.Errorf("%d requests, %d failures recorded; want 2, 1", total.Requests, total.Failures)
			}
		})
	}
}

// tlsTarget is an HTTPS server that records the server names clients ask
// for.
func tlsTarget(t *testing.T) (srv *httptest.Server, names func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		seen = append(seen, hi.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestFastSessionTLS(t *testing.T) {
	t.Parallel()
	srv, names := tlsTarget(t)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	// By default, the system's roots: the test certificate is unknown.
	ctx, env, _ := sessionEnv(t, srv.URL, 0)
	s := newFastSession(env)
	defer s.Close()
	r := s.Get(ctx, "/")
	if got := failure.Message(r.err); got != "tls: certificate not trusted" {
		t.Errorf("default roots: %q, want a TLS failure", got)
	}

	// TLSConfig's roots; the host name is the server name (none is sent
	// for an IP address); the connection is kept.
	s.TLSConfig = &tls.Config{RootCAs: roots}
	for range 2 {
		if r := s.Get(ctx, "/"); r.Err() != nil || r.Text() != "secure" {
			t.Fatalf("custom roots: Err %v, body %q", r.Err(), r.Text())
		}
	}
	if r := s.Get(ctx, "https://localhost"+port+"/"); r.Err() == nil {
		t.Error("a certificate without localhost was accepted for it")
	}
	s.TLSConfig = &tls.Config{RootCAs: roots, ServerName: "example.com"}
	if r := s.Get(ctx, "https://localhost"+port+"/"); r.Err() != nil {
		t.Errorf("ServerName set: %v", r.Err())
	}
	if s.TLSConfig.ServerName != "example.com" {
		t.Error("the session's TLSConfig was changed")
	}
	// A new session: the last one keeps its connection to localhost.
	s = newFastSession(env)
	s.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	defer s.Close()
	if r := s.Get(ctx, "https://localhost"+port+"/"); r.Err() != nil {
		t.Errorf("InsecureSkipVerify: %v", r.Err())
	}
	want := []string{"", "", "localhost", "example.com", "localhost"}
	if got := names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("server names %q, want %q", got, want)
	}
}

// TestFastSessionTLSHandshakeTimeout: a server that never completes the
// handshake fails the request with a timeout, the request's own. The
// handshake's deadline is absolute, so that a handshake that runs out of
// it is a handshake timeout however slow the machine; the whole request,
// dial and handshake, is bounded by its Timeout (on a starved machine the
// dial alone may use it up).
func TestFastSessionTLSHandshakeTimeout(t *testing.T) {
	t.Parallel()
	srv := loopbackServer(t, func(_ int, c net.Conn) {
		defer c.Close()
		io.Copy(io.Discard, c) // until the client gives up, or the test ends
	})
	ctx, env, _ := sessionEnv(t, "https://"+srv.String(), 0)
	// The session's own timeout is an hour: only the option's 200 ms can
	// end the request before the guard below calls it hung.
	env.timeout = time.Hour
	s := newFastSession(env)
	defer s.Close()

	raw, err := net.Dial("tcp", srv.String())
	if err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = tlsHandshake(hctx, raw, &tls.Config{ServerName: "127.0.0.1"})
	const msg = "timeout: no complete response within the request timeout"
	if got := failure.Message(s.fastError(err)); got != msg || !errors.Is(err, fasthttp.ErrTLSHandshakeTimeout) {
		t.Errorf("handshake: failure %q (%v), want %q", got, err, msg)
	}

	start := time.Now()
	got := make(chan *Response, 1)
	go func() { got <- s.Get(ctx, "/", Timeout(200*time.Millisecond)) }()
	var r *Response
	select {
	case r = <-got:
	case <-time.After(30 * time.Second): // a hang guard, not a budget
		t.Fatal("no answer after 30 s: the Timeout did not bound the handshake")
	}
	if got := failure.Message(r.err); got != msg && got != "timeout: could not connect within the request timeout" {
		t.Errorf("request: failure %q (%v), want a timeout", got, r.err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("gave up after %v, before the 200 ms timeout", d)
	}
}

// TestFastSessionHTTPClient: a fasthttp.Client set in HTTP sends the
// requests, with its own body limit.
func TestFastSessionHTTPClient(t *testing.T) {
	t.Parallel()
	addr, _ := wireServer(t)
	ctx, env, _ := sessionEnv(t, "http://"+addr, 0)
	s := newFastSession(env)
	defer s.Close()
	var dials atomic.Int32
	client := func(limit int) *fasthttp.Client {
		return &fasthttp.Client{
			MaxResponseBodySize: limit,
			Dial: func(addr string) (net.Conn, error) {
				dials.Add(1)
				return net.Dial("tcp", addr)
			},
		}
	}
	s.HTTP = client(1)
	r := s.Get(ctx, "/")
	const msg = "response body larger than the 1-byte limit: fasthttp: body size exceeds the given limit"
	if got := failure.Message(r.err); got != msg || dials.Load() != 1 {
		t.Errorf("failure %q, %d dials; want %q, 1", got, dials.Load(), msg)
	}
	s.HTTP = client(0)
	if r := s.Get(ctx, "/cookie"); r.Err() != nil || r.Text() != "ok" || s.jar == nil || dials.Load() != 2 {
		t.Errorf("Err %v, body %q, jar %v", r.Err(), r.Text(), s.jar)
	}
	if len(s.conns.idle) != 0 {
		t.Error("the session dialled a connection of its own")
	}
}
