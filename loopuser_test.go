//go:build linux

package herd

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/refusedport"
	"github.com/herdload/herd/internal/stats"
)

// loopOnce makes a LoopUser over reqs for a user of host, outside a run:
// each runFor is passes over the list; the user is closed with the test.
func loopOnce(t *testing.T, host string, timeout time.Duration, reqs ...LoopRequest) (*LoopUser, *stats.Stats) {
	t.Helper()
	ctx, env, st := sessionEnv(t, host, 0)
	env.timeout = timeout
	u := &LoopUser{Requests: reqs}
	u.herdInit(env)
	if err := u.OnStart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.herdClose)
	return u, st
}

// failures maps each name's failure messages to their counts.
func failures(snap *stats.Snapshot) map[string]map[string]uint64 {
	m := map[string]map[string]uint64{}
	for _, f := range snap.Failures {
		if m[f.Name] == nil {
			m[f.Name] = map[string]uint64{}
		}
		m[f.Name][f.Error] += f.Occurrences
	}
	return m
}

// TestLoopUserWireBytes: a LoopUser sends what a FastSession sends for the
// same requests, byte for byte and connection for connection: headers,
// bodies, cookies, redirects (to another host too), HEAD, an absolute URL,
// Connection: close from either side.
func TestLoopUserWireBytes(t *testing.T) {
	t.Parallel()
	type step struct {
		method, target string
		body           Body
		header         http.Header
	}
	form := Form(url.Values{"x": {"1 2"}})
	steps := []step{
		{"GET", "/a?b=c", Body{}, nil},
		{"POST", "/p", JSON(map[string]int{"a": 1}), nil},
		{"POST", "/raw", Raw("", []byte("no type")), nil},
		{"PUT", "/form", form, http.Header{"Content-Type": {"text/x-mine"}}},
		{"GET", "/h", Body{}, http.Header{"Host": {"shop.example"}}},
		{"GET", "/ua", Body{}, http.Header{"User-Agent": {"mine/1"}, "X-Two": {"a", "b"}}},
		{"GET", "/redirect302", Body{}, http.Header{"Authorization": {"Bearer t"}}},
		{"POST", "/redirect303", JSON(1), nil},
		{"GET", "/cookie", Body{}, nil},
		{"GET", "/with-cookie", Body{}, nil},
		{"GET", "/redirect302", Body{}, http.Header{"Host": {"shop.example"}}},
		{"GET", "/redirect-other", Body{}, http.Header{"Authorization": {"Bearer t"}}},
		{"GET", "/back", Body{}, nil},
		{"HEAD", "/head", Body{}, nil},
		{"DELETE", "ABS/abs?q=1#frag", Body{}, nil},
		{"GET", "/close", Body{}, nil},
		{"GET", "/after-close", Body{}, http.Header{"Connection": {"close"}}},
		{"GET", "/last", Body{}, nil},
	}
	target := func(addr, s string) string { return strings.Replace(s, "ABS", "http://"+addr, 1) }

	fastAddr, fastGot := wireServer(t)
	ctx, env, _ := sessionEnv(t, "http://"+fastAddr, 0)
	s := newFastSession(env)
	defer s.Close()
	for _, st := range steps {
		var opts []Option
		for _, k := range []string{"Authorization", "Connection", "Content-Type", "Host", "User-Agent", "X-Two"} { // sorted, as LoopUser
			if v := st.header[k]; len(v) > 0 {
				opts = append(opts, Header(k, v[0]))
			}
		}
		if r := s.Do(ctx, st.method, target(fastAddr, st.target), st.body, opts...); r.Err() != nil {
			t.Fatalf("FastSession %s %s: %v", st.method, st.target, r.Err())
		}
	}

	loopAddr, loopGot := wireServer(t)
	var reqs []LoopRequest
	for _, st := range steps {
		h := st.header
		if v := h["X-Two"]; len(v) > 0 { // FastSession's Header option sets one value
			h = h.Clone()
			h["X-Two"] = v[:1]
		}
		reqs = append(reqs, LoopRequest{Method: st.method, URL: target(loopAddr, st.target), Body: st.body, Header: h})
	}
	u, lst := loopOnce(t, "http://"+loopAddr, time.Minute, reqs...)
	if err := u.runFor(1); err != nil {
		t.Fatal(err)
	}
	norm := func(addr string, rs []wireRequest) []wireRequest {
		port := addr[strings.LastIndexByte(addr, ':')+1:]
		for i, r := range rs {
			rs[i].raw = strings.ReplaceAll(strings.ReplaceAll(r.raw, addr, "ADDR"), "localhost:"+port, "OTHER")
		}
		return rs
	}
	want, got := norm(fastAddr, fastGot()), norm(loopAddr, loopGot())
	if len(want) != len(steps)+4 { // four redirects
		t.Fatalf("FastSession sent %d requests, want %d", len(want), len(steps)+4)
	}
	for i := range max(len(got), len(want)) {
		var g, w wireRequest
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("request %d: LoopUser sent on connection %d:\n%q\nFastSession on connection %d:\n%q", i, g.conn, g.raw, w.conn, w.raw)
		}
	}
	snap := snapshot(lst)
	if snap.Total.Requests != uint64(len(steps)) || snap.Total.Failures != 0 {
		t.Errorf("recorded %d requests, %d failures; want %d, 0: %+v", snap.Total.Requests, snap.Total.Failures, len(steps), snap.Failures)
	}
}

// countingServer answers every request with "ok" and counts connections
// and requests; answer may change an answer by the request's number.
func countingServer(t *testing.T, answer func(n int64, path string) (resp string, closeAfter bool)) (addr string, conns, reqs *atomic.Int64) {
	conns, reqs = new(atomic.Int64), new(atomic.Int64)
	srv := loopbackServer(t, func(_ int, c net.Conn) {
		defer c.Close()
		conns.Add(1)
		br := bufio.NewReader(c)
		for {
			_, path, ok := readWireRequest(br)
			if !ok {
				return
			}
			n := reqs.Add(1)
			resp, closeAfter := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false
			if answer != nil {
				resp, closeAfter = answer(n, path)
			}
			if _, err := io.WriteString(c, resp); err != nil || closeAfter {
				return
			}
		}
	})
	return srv.String(), conns, reqs
}

func TestLoopUserKeepAlive(t *testing.T) {
	t.Parallel()
	addr, conns, reqs := countingServer(t, nil)
	u, st := loopOnce(t, "http://"+addr, time.Minute, LoopRequest{URL: "/a"}, LoopRequest{URL: "/b", Name: "bee"})
	for range 5 {
		if err := u.runFor(2); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshot(st)
	if conns.Load() != 1 || reqs.Load() != 20 {
		t.Errorf("%d connections, %d requests; want 1, 20", conns.Load(), reqs.Load())
	}
	if a, b := entry(snap, "/a"), entry(snap, "bee"); a.Requests != 10 || b.Requests != 10 || snap.Total.Failures != 0 || a.Method != "GET" {
		t.Errorf("/a %+v, bee %+v, failures %+v", a, b, snap.Failures)
	}
}

// TestLoopUserServerCloses: a server that closes connections (announced
// with Connection: close, or not: after the answer, before the next
// request; or a body that ends with the connection) costs no failure.
func TestLoopUserServerCloses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer func(n int64, path string) (string, bool)
	}{
		{"announced", func(int64, string) (string, bool) {
			return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true
		}},
		{"silently", func(int64, string) (string, bool) {
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true
		}},
		{"until close", func(int64, string) (string, bool) {
			return "HTTP/1.1 200 OK\r\n\r\nall", true
		}},
		{"chunked, every other", func(n int64, _ string) (string, bool) {
			return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", n%2 == 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, conns, reqs := countingServer(t, tt.answer)
			u, st := loopOnce(t, "http://"+addr, time.Minute, LoopRequest{URL: "/"})
			for range 6 {
				if err := u.runFor(1); err != nil {
					t.Fatal(err)
				}
			}
			snap := snapshot(st)
			if reqs.Load() != 6 || snap.Total.Requests != 6 || snap.Total.Failures != 0 || conns.Load() < 3 {
				t.Errorf("target: %d requests on %d connections; recorded %d, failures %+v", reqs.Load(), conns.Load(), snap.Total.Requests, snap.Failures)
			}
		})
	}
}

func TestLoopUserFailures(t *testing.T) {
	t.Parallel()
	addr, _, _ := countingServer(t, func(_ int64, path string) (string, bool) {
		switch path {
		case "/missing":
			return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false
		case "/created":
			return "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false
		case "/loop":
			return "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n", false
		case "/garbage":
			return "NOT HTTP\r\n\r\n", true
		case "/cut":
			return "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false
	})
	u, st := loopOnce(t, "http://"+addr, time.Minute,
		LoopRequest{URL: "/missing"},
		LoopRequest{URL: "/missing", Name: "accepted", Status: 404},
		LoopRequest{URL: "/created", Status: 200},
		LoopRequest{URL: "/loop"},
		LoopRequest{URL: "/garbage"},
		LoopRequest{URL: "/cut"},
		LoopRequest{URL: "/fine"},
	)
	if err := u.runFor(1); err != nil {
		t.Fatal(err)
	}
	got := failures(snapshot(st))
	want := map[string]string{
		"/missing": "HTTP 404 Not Found",
		"/created": "status 201, want 200",
		"/loop":    "stopped after 10 redirects",
		"/garbage": "invalid response: cannot parse response status line",
		"/cut":     "reset: server closed the connection before a full response",
	}
	for name, msg := range want {
		if f := got[name]; len(f) != 1 || f[msg] != 1 {
			t.Errorf("%s: failures %v, want %q", name, f, msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("failures %v", got)
	}
}

// TestLoopUserTimeoutAndRefused: a target that never answers times out
// (the server is held, not slow: no wall-clock budget), a refused port is
// a connect failure, and the user goes on after each.
func TestLoopUserTimeoutAndRefused(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	refused := "http://" + refusedport.Addr(t)
	u, st := loopOnce(t, srv.URL, 20*time.Millisecond,
		LoopRequest{URL: "/stall"},
		LoopRequest{URL: refused + "/", Name: "refused"},
		LoopRequest{URL: "/ok/after"},
	)
	if err := u.runFor(2); err != nil {
		t.Fatal(err)
	}
	got := failures(snapshot(st))
	if f := got["/stall"]; f["timeout: no complete response within the request timeout"] != 2 {
		t.Errorf("/stall: failures %v", f)
	}
	if f := got["refused"]; f["connect: connection refused"] != 2 {
		t.Errorf("refused: failures %v", f)
	}
	if srv.received("/ok/after") != 2 {
		t.Errorf("the target got %d requests after the failures, want 2", srv.received("/ok/after"))
	}
}

func TestLoopUserRefusesHTTPS(t *testing.T) {
	t.Parallel()
	ctx, env, _ := sessionEnv(t, "https://127.0.0.1:1", 0)
	u := &LoopUser{Requests: []LoopRequest{{URL: "/"}}}
	u.herdInit(env)
	err := u.OnStart(ctx)
	if err == nil || !strings.Contains(err.Error(), "https:// is not supported") {
		t.Errorf("OnStart = %v, want https refused", err)
	}
}

// TestLoopUserInRunner runs LoopUsers in a runner: a graceful stop lets
// the requests in flight finish; then a kill records the ones in flight as
// interrupted, exactly as many as the target received.
func TestLoopUserInRunner(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	const users = 4
	types := []*UserType{{Name: "Loop", New: func() User {
		return &LoopUser{Requests: []LoopRequest{{URL: "/ok/a"}, {URL: "/held"}}}
	}}}
	r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour}, types...)
	r.types[0].host = srv.URL
	done := make(chan int, 1)
	r.start(users, 0, func(n int) { done <- n })
	<-done
	waitFor(t, "every user's held request", func() bool { return srv.received("/held") >= users })
	if left := r.stop(30 * time.Second); left != 0 {
		t.Fatalf("%d users still running after the kill", left)
	}
	srv.release()
	snap := snapshot(st)
	e, ok := entry(snap, "/held"), entry(snap, "/ok/a")
	got := uint64(srv.received("/held"))
	if e.Requests != got || e.Failures != got || got != users {
		t.Errorf("/held: %d requests, %d failures; the target received %d, want %d", e.Requests, e.Failures, got, users)
	}
	if f := failures(snap)["/held"]; f[failure.InterruptedMessage] != got {
		t.Errorf("/held failures %v", f)
	}
	if ok.Requests != uint64(srv.received("/ok/a")) || ok.Failures != 0 {
		t.Errorf("/ok/a: %d requests, %d failures; the target received %d", ok.Requests, ok.Failures, srv.received("/ok/a"))
	}
	if len(snap.Errors) != 0 {
		t.Errorf("user errors: %+v", snap.Errors)
	}
}

// TestLoopUserGracefulStop: with a stop timeout, the request in flight is
// answered and recorded as a success, and no other is sent.
func TestLoopUserGracefulStop(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	types := []*UserType{{Name: "Loop", New: func() User {
		return &LoopUser{Requests: []LoopRequest{{URL: "/held"}}}
	}}}
	r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour, stopTimeout: time.Hour}, types...)
	r.types[0].host = srv.URL
	done := make(chan int, 1)
	r.start(2, 0, func(n int) { done <- n })
	<-done
	waitFor(t, "both held requests", func() bool { return srv.received("/held") == 2 })
	r.mu.Lock()
	hs := append([]*userHandle(nil), r.active[0]...)
	r.mu.Unlock()
	stopped := make(chan int, 1)
	go func() { stopped <- r.stop(time.Minute) }()
	waitFor(t, "the stop to reach the users", func() bool {
		for _, h := range hs {
			if !h.stopped.Load() {
				return false
			}
		}
		return true
	})
	srv.release()
	if left := <-stopped; left != 0 {
		t.Fatalf("%d users left", left)
	}
	// The held requests were answered and count as successes; a user that
	// saw its answer before the stop reached its loop may have sent one
	// more, answered at once: every request the target got is a success.
	snap := snapshot(st)
	if e, got := entry(snap, "/held"), uint64(srv.received("/held")); e.Requests != got || e.Failures != 0 || got < 2 {
		t.Errorf("/held: %d requests, %d failures, the target received %d", e.Requests, e.Failures, got)
	}
}

// TestLoopUserWait: the type's wait time runs between requests on the
// loop, and a stop ends a wait at once.
func TestLoopUserWait(t *testing.T) {
	t.Parallel()
	addr, _, reqs := countingServer(t, nil)
	types := []*UserType{{Name: "Loop", Wait: Constant(time.Hour), New: func() User {
		return &LoopUser{Requests: []LoopRequest{{URL: "/"}}}
	}}}
	r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour, stopTimeout: time.Hour}, types...)
	r.types[0].host = "http://" + addr
	done := make(chan int, 1)
	r.start(3, 0, func(n int) { done <- n })
	<-done
	waitFor(t, "the first requests", func() bool { return reqs.Load() == 3 })
	if left := r.stop(time.Minute); left != 0 {
		t.Fatalf("%d users left", left)
	}
	if snap := snapshot(st); snap.Total.Requests != 3 || reqs.Load() != 3 {
		t.Errorf("%d recorded, %d received; want 3 (one each, then the wait)", snap.Total.Requests, reqs.Load())
	}
}

// BenchmarkLoopUser is one user's closed loop against a loopback server:
// allocations per request (0 is the goal).
func BenchmarkLoopUser(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
	_, env, _ := sessionEnv(b, "http://"+ln.Addr().String(), 0)
	u := &LoopUser{Requests: []LoopRequest{{URL: "/"}}}
	u.herdInit(env)
	if err := u.OnStart(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer u.herdClose()
	u.runFor(10) // connect, warm up
	b.ReportAllocs()
	b.ResetTimer()
	if err := u.runFor(b.N); err != nil {
		b.Fatal(err)
	}
}

// TestLoopUserLargeBodies: a request larger than the socket buffer leaves
// in pieces (EPOLLOUT), and answers larger than the read buffer, by length
// or chunked, are read over many reads and their sizes recorded.
func TestLoopUserLargeBodies(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	chunk := strings.Repeat("y", 1000)
	var chunked strings.Builder
	chunked.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 300 {
		chunked.WriteString("3e8\r\n" + chunk + "\r\n")
	}
	chunked.WriteString("0\r\n\r\n")
	addr, _, reqs := countingServer(t, func(_ int64, path string) (string, bool) {
		switch path {
		case "/big":
			return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n" + strings.Repeat("x", size), false
		case "/chunked":
			return chunked.String(), false
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false
	})
	body := Raw("application/octet-stream", []byte(strings.Repeat("u", 4*size)))
	u, st := loopOnce(t, "http://"+addr, time.Minute,
		LoopRequest{Method: http.MethodPost, URL: "/upload", Body: body},
		LoopRequest{URL: "/big"},
		LoopRequest{URL: "/chunked"},
	)
	if err := u.runFor(2); err != nil {
		t.Fatal(err)
	}
	snap := snapshot(st)
	if reqs.Load() != 6 || snap.Total.Failures != 0 {
		t.Fatalf("the target got %d requests; failures %+v", reqs.Load(), snap.Failures)
	}
	for name, want := range map[string]uint64{"/upload": 2 * 2, "/big": 2 * size, "/chunked": 2 * 300_000} {
		if e := entry(snap, name); e.Requests != 2 || e.TotalSize != want {
			t.Errorf("%s: %d requests, %d bytes in all; want 2 and %d", name, e.Requests, e.TotalSize, want)
		}
	}
}
