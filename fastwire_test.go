package herd

// What a FastSession puts on the wire, byte for byte. The expected bytes
// were captured from the FastSession built on fasthttp.Client (herd before
// its own connection holder), so this test pins that herd's connection sends
// exactly what fasthttp's Client sent: Host, User-Agent, Content-Length,
// Connection, cookies and redirects included.

import (
	"bufio"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// wireRequest is one request as the server read it, and the number of
// the connection it came on (from 1).
type wireRequest struct {
	conn int
	raw  string
}

// wireServer records every request's raw bytes and answers by path:
// /redirect302 → /landed, /redirect303 → /landed (303), /cookie sets a
// cookie, /close answers with Connection: close and closes; anything else
// gets "ok".
func wireServer(t *testing.T) (addr string, requests func() []wireRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []wireRequest
	var other string // the server's port under another host name
	srv := loopbackServer(t, func(n int, c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			raw, path, ok := readWireRequest(br)
			if !ok {
				return
			}
			mu.Lock()
			got = append(got, wireRequest{n, raw})
			other := other
			mu.Unlock()
			resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
			switch path {
			case "/redirect302":
				resp = "HTTP/1.1 302 Found\r\nLocation: /landed\r\nContent-Length: 0\r\n\r\n"
			case "/redirect303":
				resp = "HTTP/1.1 303 See Other\r\nLocation: /landed\r\nContent-Length: 0\r\n\r\n"
			case "/redirect-other":
				resp = "HTTP/1.1 302 Found\r\nLocation: http://" + other + "/landed\r\nContent-Length: 0\r\n\r\n"
			case "/cookie":
				resp = "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/\r\nContent-Length: 2\r\n\r\nok"
			case "/close":
				resp = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
			}
			if strings.HasPrefix(raw, "HEAD ") {
				resp = strings.TrimSuffix(resp, "ok")
			}
			if _, err := io.WriteString(c, resp); err != nil || path == "/close" {
				return
			}
		}
	})
	mu.Lock()
	other = "localhost:" + strconv.Itoa(srv.Port)
	mu.Unlock()
	return srv.String(), func() []wireRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]wireRequest(nil), got...)
	}
}

// readWireRequest reads one request, head and Content-Length body, as raw
// bytes, and its path.
func readWireRequest(br *bufio.Reader) (raw, path string, ok bool) {
	var b strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", "", false
		}
		b.WriteString(line)
		if line == "\r\n" {
			break
		}
		if path == "" {
			if f := strings.Fields(line); len(f) == 3 {
				path = f[1]
			}
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return "", "", false
	}
	b.Write(body)
	return b.String(), path, true
}

func TestFastSessionWireBytes(t *testing.T) {
	t.Parallel()
	addr, requests := wireServer(t)
	ctx, env, _ := sessionEnv(t, "http://"+addr, 0)
	s := newFastSession(env)
	defer s.Close()
	s.Header.Set("X-Default", "d")

	steps := []struct {
		method, target string
		body           Body
		opts           []Option
	}{
		{"GET", "/a?b=c", Body{}, nil},
		{"POST", "/p", JSON(map[string]int{"a": 1}), nil},
		{"POST", "/raw", Raw("", []byte("no type")), nil},
		{"PUT", "/form", Form(url.Values{"x": {"1 2"}}), []Option{Header("Content-Type", "text/x-mine")}},
		{"GET", "/h", Body{}, []Option{Header("Host", "shop.example")}},
		{"GET", "/ua", Body{}, []Option{Header("User-Agent", "mine/1")}},
		{"GET", "/redirect302", Body{}, []Option{Header("Authorization", "Bearer t")}},
		{"POST", "/redirect303", JSON(1), nil},
		{"GET", "/cookie", Body{}, nil},
		{"GET", "/with-cookie", Body{}, nil},
		{"GET", "/redirect302", Body{}, []Option{Header("Host", "shop.example")}},
		{"GET", "/redirect-other", Body{}, []Option{Header("Authorization", "Bearer t")}},
		{"GET", "/back", Body{}, nil},
		{"HEAD", "/head", Body{}, nil},
		{"DELETE", "http://" + addr + "/abs?q=1#frag", Body{}, nil},
		{"GET", "/close", Body{}, nil},
		{"GET", "/after-close", Body{}, []Option{Header("Connection", "close")}},
		{"GET", "/last", Body{}, nil},
	}
	for _, st := range steps {
		if r := s.Do(ctx, st.method, st.target, st.body, st.opts...); r.Err() != nil {
			t.Fatalf("%s %s: %v", st.method, st.target, r.Err())
		}
	}
	// Captured from the fasthttp.Client-based FastSession.
	want := []wireRequest{
		{1, "GET /a?b=c HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\n\r\n"},
		{1, "POST /p HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nContent-Type: application/json\r\nContent-Length: 7\r\nX-Default: d\r\n\r\n{\"a\":1}"},
		{1, "POST /raw HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nContent-Length: 7\r\nX-Default: d\r\n\r\nno type"},
		{1, "PUT /form HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nContent-Type: text/x-mine\r\nContent-Length: 5\r\nX-Default: d\r\n\r\nx=1+2"},
		{1, "GET /h HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: shop.example\r\nX-Default: d\r\n\r\n"},
		{1, "GET /ua HTTP/1.1\r\nUser-Agent: mine/1\r\nHost: ADDR\r\nX-Default: d\r\n\r\n"},
		{1, "GET /redirect302 HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nAuthorization: Bearer t\r\n\r\n"},
		{1, "GET /landed HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nAuthorization: Bearer t\r\n\r\n"},
		{1, "POST /redirect303 HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nContent-Type: application/json\r\nContent-Length: 1\r\nX-Default: d\r\n\r\n1"},
		{1, "GET /landed HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\n\r\n"},
		{1, "GET /cookie HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\n\r\n"},
		{1, "GET /with-cookie HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "GET /redirect302 HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: shop.example\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "GET /landed HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: shop.example\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "GET /redirect-other HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nAuthorization: Bearer t\r\nCookie: sid=abc\r\n\r\n"},
		{2, "GET /landed HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: OTHER\r\nX-Default: d\r\n\r\n"},
		{1, "GET /back HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "HEAD /head HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "DELETE /abs?q=1 HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nContent-Length: 0\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{1, "GET /close HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
		{3, "GET /after-close HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\nConnection: close\r\n\r\n"},
		{4, "GET /last HTTP/1.1\r\nUser-Agent: fasthttp\r\nHost: ADDR\r\nX-Default: d\r\nCookie: sid=abc\r\n\r\n"},
	}
	got := requests()
	for i, r := range got {
		got[i].raw = strings.ReplaceAll(strings.ReplaceAll(r.raw, addr, "ADDR"), "localhost:"+addr[strings.LastIndexByte(addr, ':')+1:], "OTHER")
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
			t.Errorf("request %d: got on connection %d:\n%q\nwant on connection %d:\n%q", i, g.conn, g.raw, w.conn, w.raw)
		}
	}
}
