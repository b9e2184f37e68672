package herd

// Benchmarks of the HTTP sessions through herd's real recording path, next
// to the bare clients doing the same request, so that what a Session or
// FastSession adds per request shows. Also the tests that need a user's
// environment built by hand (a body limit other than the default).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/stats"
	"github.com/valyala/fasthttp"
)

// sessionEnv builds a user's environment as executor.start does, outside a
// run: the user's life is a context of its own, cancelled when tb ends.
func sessionEnv(tb testing.TB, host string, maxBody int64) (context.Context, *userEnv, *stats.Stats) {
	st := stats.New(time.Now(), stats.Options{})
	life, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	env := &userEnv{
		id:       0,
		typeName: "Bench",
		host:     host,
		shard:    st.Shard(0),
		events:   &Events{},
		ctx:      life,
		timeout:  time.Minute,
		maxBody:  maxBody,
	}
	return context.WithValue(env.ctx, envKey{}, env), env, st
}

const benchBody = `{"id":42,"name":"A small product","price":1999,"tags":["a","b"]}`

// benchServer answers every request with the same canned response from a
// loop that allocates nothing per request, so that a benchmark's B/op and
// allocs/op are the client's alone. It handles GET requests (no body) on
// keep-alive connections, which is all the benchmarks send.
func benchServer(b *testing.B) (url string) {
	response := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(benchBody)) + "\r\n\r\n" + benchBody)
	addr := loopbackServer(b, func(_ int, c net.Conn) { serveCanned(c, response) })
	return "http://" + addr.String()
}

// serveCanned writes response once for every request head ("\r\n\r\n")
// read from c, until c fails.
func serveCanned(c net.Conn, response []byte) {
	buf := make([]byte, 4096)
	tail := 0 // bytes of a possible "\r\n\r\n" carried over from the last read
	for {
		n, err := c.Read(buf[tail:])
		if err != nil {
			return
		}
		data := buf[:tail+n]
		for {
			i := bytes.Index(data, []byte("\r\n\r\n"))
			if i < 0 {
				break
			}
			if _, err := c.Write(response); err != nil {
				return
			}
			data = data[i+4:]
		}
		tail = copy(buf, data[max(0, len(data)-3):])
	}
}

func BenchmarkSessionGet(b *testing.B) {
	ctx, env, st := sessionEnv(b, benchServer(b), 0)
	s := newSession(env)
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if r := s.Get(ctx, "/api/products/42", Name("/api/products/{id}")); r.Err() != nil || len(r.Body) != len(benchBody) {
			b.Fatal(r.Err())
		}
	}
	b.StopTimer()
	checkBenchCount(b, st)
}

func BenchmarkFastSessionGet(b *testing.B) {
	ctx, env, st := sessionEnv(b, benchServer(b), 0)
	s := newFastSession(env)
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if r := s.Get(ctx, "/api/products/42", Name("/api/products/{id}")); r.Err() != nil || len(r.Body) != len(benchBody) {
			b.Fatal(r.Err())
		}
	}
	b.StopTimer()
	checkBenchCount(b, st)
}

// checkBenchCount makes sure every request was recorded.
func checkBenchCount(b *testing.B, st *stats.Stats) {
	b.Helper()
	now := time.Now()
	st.Tick(now, 1)
	if got := st.Snapshot(now, 1).Total.Requests; got != uint64(b.N) {
		b.Errorf("%d requests recorded, want %d", got, b.N)
	}
}

// BenchmarkRawNetHTTP is BenchmarkSessionGet's request with a bare
// net/http client configured as a Session's, body read in full.
func BenchmarkRawNetHTTP(b *testing.B) {
	srvURL := benchServer(b)
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, ForceAttemptHTTP2: true}}
	defer cl.CloseIdleConnections()
	url := srvURL + "/api/products/42"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := cl.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(body) != len(benchBody) || resp.StatusCode >= 400 {
			b.Fatal(err, resp.StatusCode)
		}
	}
}

// BenchmarkRawFastHTTP is BenchmarkFastSessionGet's request with a bare
// fasthttp client reusing one request and response.
func BenchmarkRawFastHTTP(b *testing.B) {
	srvURL := benchServer(b)
	cl := &fasthttp.Client{MaxConnsPerHost: 4}
	defer cl.CloseIdleConnections()
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	url := srvURL + "/api/products/42"
	b.ReportAllocs()
	for b.Loop() {
		req.Reset()
		req.Header.SetMethod(http.MethodGet)
		req.SetRequestURI(url)
		if err := cl.DoTimeout(req, res, time.Minute); err != nil {
			b.Fatal(err)
		}
		if len(res.Body()) != len(benchBody) || res.StatusCode() >= 400 {
			b.Fatal(res.StatusCode())
		}
	}
}

// TestBodyLimit sets a small limit: net/http keeps the first bytes and
// counts the whole body; fasthttp fails the request and names the limit in
// force (not the default).
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 5000
		if r.URL.Path == "/small" {
			n = 1000
		}
		if r.URL.Query().Has("chunked") {
			for range n / 100 {
				io.WriteString(w, strings.Repeat("z", 100))
				w.(http.Flusher).Flush()
			}
			return
		}
		io.WriteString(w, strings.Repeat("z", n))
	}))
	t.Cleanup(srv.Close)
	ctx, env, st := sessionEnv(t, srv.URL, 1000)

	s := newSession(env)
	defer s.Close()
	for _, target := range []string{"/big", "/big?chunked"} {
		r := s.Get(ctx, target)
		if r.Err() != nil || r.Size != 5000 || len(r.Body) != 1000 || r.Text() != strings.Repeat("z", 1000) {
			t.Errorf("net/http %s: Err %v, Size %d, kept %d", target, r.Err(), r.Size, len(r.Body))
		}
	}
	if r := s.Get(ctx, "/small"); r.Err() != nil || r.Size != 1000 || len(r.Body) != 1000 {
		t.Errorf("net/http at the limit: Err %v, Size %d, kept %d", r.Err(), r.Size, len(r.Body))
	}

	f := newFastSession(env)
	defer f.Close()
	for _, target := range []string{"/big", "/big?chunked"} {
		r := f.Get(ctx, target)
		var re *RequestError
		if err := r.Err(); r.OK() || !errors.As(err, &re) || !errors.Is(err, fasthttp.ErrBodyTooLarge) {
			t.Errorf("fasthttp %s: Err %v", target, err)
		}
	}
	if r := f.Get(ctx, "/small"); r.Err() != nil || r.Size != 1000 {
		t.Errorf("fasthttp at the limit: Err %v, Size %d", r.Err(), r.Size)
	}

	now := time.Now()
	st.Tick(now, 1)
	snap := st.Snapshot(now, 1)
	const msg = "response body larger than the 1000-byte limit: fasthttp: body size exceeds the given limit"
	if len(snap.Failures) != 2 || snap.Failures[0].Error != msg || snap.Failures[1].Error != msg {
		t.Errorf("failures: %+v", snap.Failures)
	}
	if snap.Total.Requests != 6 || snap.Total.Failures != 2 {
		t.Errorf("total: %d requests, %d failures", snap.Total.Requests, snap.Total.Failures)
	}
}

// TestBodyLimitDefault: with no limit set, as users get it, the limit is
// 16 MiB. net/http keeps the first 16 MiB of a larger body and counts it
// all; fasthttp takes a body of exactly 16 MiB and fails a larger one,
// naming the limit. (TestBodyLimit covers both body framings at a small
// limit.) The target writes from one buffer made once; no run time bounds
// the test, whatever the machine's load.
func TestBodyLimitDefault(t *testing.T) {
	t.Parallel()
	const size = defaultMaxBody + 4096
	body := bytes.Repeat([]byte("y"), size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := size
		if r.URL.Path == "/at-limit" {
			n = defaultMaxBody
		}
		if r.URL.Query().Has("chunked") {
			w.Write(body[:n/2]) // larger than the response buffer: no Content-Length
			w.(http.Flusher).Flush()
			w.Write(body[n/2 : n])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(body[:n]) // fasthttp reads none of a body past its limit
	}))
	t.Cleanup(srv.Close)
	ctx, env, st := sessionEnv(t, srv.URL, 0)

	s := newSession(env)
	defer s.Close()
	if r := s.Get(ctx, "/big?chunked", Name("std")); r.Err() != nil || r.Size != size || len(r.Body) != defaultMaxBody {
		t.Errorf("net/http: Err %v, Size %d, kept %d", r.Err(), r.Size, len(r.Body))
	}
	f := newFastSession(env)
	defer f.Close()
	if r := f.Get(ctx, "/big", Name("fast")); r.OK() {
		t.Errorf("fasthttp: a body past the limit succeeded")
	}
	if r := f.Get(ctx, "/at-limit", Name("fast at the limit")); r.Err() != nil || r.Size != defaultMaxBody {
		t.Errorf("fasthttp at the limit: Err %v, Size %d", r.Err(), r.Size)
	}

	now := time.Now()
	st.Tick(now, 1)
	snap := st.Snapshot(now, 1)
	const msg = "response body larger than the 16777216-byte limit: fasthttp: body size exceeds the given limit"
	if len(snap.Failures) != 1 || snap.Failures[0].Name != "fast" || snap.Failures[0].Error != msg {
		t.Errorf("failures: %+v", snap.Failures)
	}
	if snap.Total.Requests != 3 || snap.Total.Failures != 1 {
		t.Errorf("total: %d requests, %d failures", snap.Total.Requests, snap.Total.Failures)
	}
}

// TestJoinURL covers the URL and name rules on their own.
func TestJoinURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, url, full, name string }{
		{"http://h:1", "/a?b=c", "http://h:1/a?b=c", "/a?b=c"},
		{"http://h:1", "a", "http://h:1/a", "/a"},
		{"http://h:1", "", "http://h:1/", "/"},
		{"http://h:1", "?q=1", "http://h:1/?q=1", "/?q=1"},
		{"http://h:1", "/a#frag", "http://h:1/a#frag", "/a"},
		{"http://h:1/api", "/users", "http://h:1/api/users", "/api/users"},
		{"http://h:1/api", "users?x", "http://h:1/api/users?x", "/api/users?x"},
		{"http://h:1", "http://other:2/x/y?z=1#f", "http://other:2/x/y?z=1#f", "/x/y?z=1"},
		{"http://h:1", "https://other", "https://other", "/"},
		{"http://h:1", "HTTPS://Other/Up", "HTTPS://Other/Up", "/Up"},
		{"http://h:1", "http://[bad", "http://[bad", "http://[bad"},
		{"", "/x", "/x", "/x"},
	}
	for _, tt := range tests {
		full, name := joinURL(tt.base, tt.url)
		if full != tt.full || name != tt.name {
			t.Errorf("joinURL(%q, %q) = %q, %q; want %q, %q", tt.base, tt.url, full, name, tt.full, tt.name)
		}
	}
}

// TestFastErrorClasses maps fasthttp's errors, which carry no net/http
// types, onto the failure classes net/http's errors get.
func TestFastErrorClasses(t *testing.T) {
	t.Parallel()
	_, env, _ := sessionEnv(t, "http://127.0.0.1:1", 4096)
	s := newFastSession(env)
	defer s.Close()
	readErr := func(err error) error {
		return fmt.Errorf("error when reading response headers: %w: buffer size=4, contents: \"junk\"", err)
	}
	tests := []struct {
		err  error
		want string
	}{
		{fasthttp.ErrTimeout, "timeout: no complete response within the request timeout"},
		{fasthttp.ErrTLSHandshakeTimeout, "timeout: no complete response within the request timeout"},
		{fasthttp.ErrDialTimeout, "timeout: could not connect within the request timeout"},
		{fasthttp.ErrConnectionClosed, "reset: server closed the connection before a full response"},
		{io.EOF, "reset: server closed the connection before a full response"},
		{fasthttp.ErrBodyTooLarge, "response body larger than the 4096-byte limit: fasthttp: body size exceeds the given limit"},
		{&fasthttp.ErrSmallBuffer{}, "invalid response: response headers too large: fasthttp: small read buffer. increase readbuffersize"},
		{readErr(errors.New(`cannot find whitespace in the first line of response "junk"`)),
			`invalid response: cannot find whitespace in the first line of response "junk"`},
		{errors.New("empty hex number"), "invalid response: invalid chunk size: empty hex number"},
		{errors.New("cannot parse content-length: fasthttp: non-numeric chars found"),
			"invalid response: cannot parse content-length: fasthttp: non-numeric chars found"},
		{errors.New("something else"), "something else"},
	}
	for _, tt := range tests {
		if got := failure.Message(s.fastError(tt.err)); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestHTTPErrorClasses does the same for net/http's plain-text errors.
func TestHTTPErrorClasses(t *testing.T) {
	t.Parallel()
	broken := func(err error) error {
		return &neturl.Error{Op: "Get", URL: "http://127.0.0.1:9/x", Err: fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", err)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{broken(errors.New(`malformed HTTP response "SSH-2.0"`)), `invalid response: malformed HTTP response "SSH-2.0"`},
		{broken(io.ErrUnexpectedEOF), "reset: server closed the connection before a full response"},
		{&neturl.Error{Op: "Get", URL: "http://127.0.0.1:9/x", Err: errors.New("stopped after 10 redirects")}, "stopped after 10 redirects"},
		{&neturl.Error{Op: "Get", URL: "http://127.0.0.1:9/x", Err: context.DeadlineExceeded}, "timeout: no complete response within the request timeout"},
		{errors.New("invalid byte in chunk length"), "invalid response: invalid byte in chunk length"},
		{textproto.ProtocolError("malformed MIME header line: \x01"), "invalid response: malformed MIME header line: \x01"},
	}
	for _, tt := range tests {
		if got := failure.Message(httpError(tt.err)); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.err, got, tt.want)
		}
	}
}
