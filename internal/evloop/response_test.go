package evloop

import (
	"errors"
	"strings"
	"testing"
)

// parse feeds raw to a parser in pieces of size step (all at once when 0),
// keeping unused bytes as a connection does, and returns the parser, the
// bytes left after the response and the error.
func parse(raw string, headOnly bool, limit int64, step int) (*Parser, string, error) {
	p := &Parser{Limit: limit}
	p.Reset(headOnly)
	var buf []byte
	rest := raw
	for !p.Done() {
		if rest == "" {
			if p.EOF() {
				break
			}
			return p, "", errors.New("unexpected EOF")
		}
		n := len(rest)
		if step > 0 {
			n = min(n, step)
		}
		buf = append(buf, rest[:n]...)
		rest = rest[n:]
		used, err := p.Feed(buf)
		if err != nil {
			return p, "", err
		}
		buf = buf[used:]
	}
	return p, string(buf) + rest, nil
}

func TestParser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		headOnly  bool
		limit     int64
		status    int
		size      int64
		keep      bool
		location  string
		cookies   []string
		left      string
		err       error
	}{
		{name: "length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, size: 2, keep: true},
		{name: "no reason", raw: "HTTP/1.1 204\r\n\r\n", status: 204, keep: true},
		{name: "bare LF", raw: "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", status: 200, size: 3, keep: true},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n", status: 200, size: 13, keep: true},
		{name: "chunked wins", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 200, size: 1, keep: true},
		{name: "close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", status: 200, size: 2},
		{name: "1.0", raw: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, size: 2},
		{name: "1.0 keep-alive", raw: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", status: 200, size: 2, keep: true},
		{name: "until close", raw: "HTTP/1.1 200 OK\r\n\r\nall of it", status: 200, size: 9},
		{name: "head", raw: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", headOnly: true, status: 200, keep: true},
		{name: "304", raw: "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", status: 304, keep: true},
		{name: "100 then 200", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", status: 201, keep: true},
		{name: "redirect and cookies", raw: "HTTP/1.1 302 Found\r\nLocation: /x\r\nset-cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
			status: 302, keep: true, location: "/x", cookies: []string{"a=1; Path=/", "b=2"}},
		{name: "leftover", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz", status: 200, size: 1, keep: true, left: "yz"},
		{name: "bad status", raw: "HTTP/1.1 2x0 OK\r\n\r\n", err: ErrStatusLine},
		{name: "not http", raw: "SSH-2.0-OpenSSH\r\n\r\n", err: ErrStatusLine},
		{name: "bad header", raw: "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", err: ErrHeader},
		{name: "bad length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: ErrLength},
		{name: "two lengths", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", err: ErrLength},
		{name: "gzip encoding", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", err: ErrEncoding},
		{name: "bad chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: ErrChunk},
		{name: "chunk without CRLF", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n", err: ErrChunk},
		{name: "101", raw: "HTTP/1.1 101 Switching Protocols\r\n\r\n", err: ErrSwitch},
		{name: "too large", raw: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", limit: 10, err: &BodyTooLarge{Limit: 10}},
		{name: "chunked too large", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n", limit: 10, err: &BodyTooLarge{Limit: 10}},
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 7} {
			p, left, err := parse(tt.raw, tt.headOnly, tt.limit, step)
			if tt.err != nil {
				var tl *BodyTooLarge
				if !errors.Is(err, tt.err) && !(errors.As(tt.err, &tl) && err != nil && err.Error() == tt.err.Error()) {
					t.Errorf("%s/%d: error %v, want %v", tt.name, step, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s/%d: %v", tt.name, step, err)
				continue
			}
			var cookies []string
			p.Cookies(func(v []byte) { cookies = append(cookies, string(v)) })
			if p.Status != tt.status || p.BodySize != tt.size || p.KeepAlive != tt.keep || string(p.Location()) != tt.location ||
				strings.Join(cookies, "|") != strings.Join(tt.cookies, "|") || left != tt.left {
				t.Errorf("%s/%d: status %d size %d keep %v location %q cookies %q left %q", tt.name, step, p.Status, p.BodySize, p.KeepAlive, p.Location(), cookies, left)
			}
		}
	}
}

// FuzzParser: any bytes, in any pieces, parse without a panic, and to the
// same result whole or a byte at a time.
func FuzzParser(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false)
	f.Add("HTTP/1.1 302 Found\r\nLocation: /x\r\nSet-Cookie: a=1\r\n\r\n", true)
	f.Add("HTTP/1.0 100 Continue\n\nHTTP/1.0 200 OK\n\nbody", false)
	f.Fuzz(func(t *testing.T, raw string, head bool) {
		p1, left1, err1 := parse(raw, head, 1<<20, 0)
		p2, left2, err2 := parse(raw, head, 1<<20, 1)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v, bytewise: %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if p1.Status != p2.Status || p1.BodySize != p2.BodySize || p1.KeepAlive != p2.KeepAlive || left1 != left2 ||
			string(p1.Location()) != string(p2.Location()) || string(p1.cookies) != string(p2.cookies) {
			t.Fatalf("whole %+v %q, bytewise %+v %q", p1, left1, p2, left2)
		}
		if p1.Status < 100 || p1.Status > 999 || p1.BodySize < 0 {
			t.Fatalf("status %d, size %d", p1.Status, p1.BodySize)
		}
	})
}
