package evloop

import (
	"bytes"
	"errors"
	"fmt"
)

// Parser reads one HTTP/1.1 response as its bytes arrive, in any pieces,
// and keeps only what a client without a task needs: the status, the
// framing, the body's size (its bytes are counted and dropped), the
// Location and Set-Cookie headers (copied into buffers reused from one
// response to the next). It allocates nothing once those buffers have
// grown. It is a plain value, tested and fuzzed on any OS.
type Parser struct {
	// HeadOnly is set for the answer to a HEAD request: it has no body.
	HeadOnly bool
	// Limit, when positive, is the largest body accepted.
	Limit int64

	Status    int
	KeepAlive bool  // the connection may carry the next request
	BodySize  int64 // body bytes so far (decoded, for chunked bodies)
	location  []byte
	cookies   []byte // Set-Cookie values, each followed by a 0 byte

	state     pstate
	remaining int64 // of the body (length) or the current chunk
	sawLength bool
}

type pstate uint8

const (
	pHead       pstate = iota
	pLength            // a Content-Length body
	pUntilClose        // a body that ends with the connection
	pChunkSize
	pChunkData
	pChunkEnd // the CRLF after a chunk's data
	pTrailer
	pDone
)

// MaxLine bounds a chunk-size or trailer line, as the caller's buffer
// bounds the head.
const MaxLine = 4096

// Errors for responses that are not valid HTTP; the caller reports them as
// protocol errors.
var (
	ErrStatusLine = errors.New("cannot parse response status line")
	ErrHeader     = errors.New("cannot parse response header")
	ErrLength     = errors.New("cannot parse content-length")
	ErrEncoding   = errors.New("unsupported transfer-encoding")
	ErrChunk      = errors.New("invalid chunked body")
	ErrSwitch     = errors.New("unexpected 101 Switching Protocols")
)

// BodyTooLarge is the error of a body past the parser's Limit.
type BodyTooLarge struct{ Limit int64 }

func (e *BodyTooLarge) Error() string {
	return fmt.Sprintf("response body larger than the %d-byte limit", e.Limit)
}

// Reset readies p for the next response, keeping its buffers.
func (p *Parser) Reset(headOnly bool) {
	*p = Parser{HeadOnly: headOnly, Limit: p.Limit, location: p.location[:0], cookies: p.cookies[:0]}
}

// Done reports whether the response is complete.
func (p *Parser) Done() bool { return p.state == pDone }

// Started reports whether any of the head was parsed: a response that
// ends before is "no answer" (a kept-alive connection the server closed).
func (p *Parser) Started() bool { return p.state != pHead }

// Location is the Location header, valid until the next Reset.
func (p *Parser) Location() []byte { return p.location }

// Cookies calls fn with each Set-Cookie header's value.
func (p *Parser) Cookies(fn func(v []byte)) {
	for b := p.cookies; len(b) > 0; {
		i := bytes.IndexByte(b, 0)
		fn(b[:i])
		b = b[i+1:]
	}
}

// HasCookies reports whether the response set a cookie.
func (p *Parser) HasCookies() bool { return len(p.cookies) > 0 }

// Feed parses b and returns how many of its bytes were used: the rest (an
// incomplete line or head) must be fed again, with more bytes after it.
// A caller whose buffer is full and used nothing has a line or head too
// large. Bytes after a complete response are left unused.
func (p *Parser) Feed(b []byte) (used int, err error) {
	for used < len(b) && p.state != pDone {
		n, err := p.step(b[used:])
		used += n
		if err != nil {
			return used, err
		}
		if n == 0 {
			break
		}
	}
	return used, nil
}

// EOF tells p the connection ended: a body that ends with the connection
// is then complete. It reports whether the response is complete.
func (p *Parser) EOF() bool {
	if p.state == pUntilClose {
		p.state = pDone
	}
	return p.state == pDone
}

func (p *Parser) step(b []byte) (int, error) {
	switch p.state {
	case pHead:
		end := headEnd(b)
		if end < 0 {
			return 0, nil
		}
		if err := p.head(b[:end]); err != nil {
			return end, err
		}
		return end, nil
	case pLength:
		n := int(min(int64(len(b)), p.remaining))
		p.remaining -= int64(n)
		if err := p.grow(n); err != nil {
			return n, err
		}
		if p.remaining == 0 {
			p.state = pDone
		}
		return n, nil
	case pUntilClose:
		return len(b), p.grow(len(b))
	case pChunkSize:
		line, n := cutLine(b)
		if n == 0 {
			return 0, nil
		}
		size, err := chunkSize(line)
		if err != nil {
			return n, err
		}
		if size == 0 {
			p.state = pTrailer
		} else {
			p.remaining, p.state = size, pChunkData
		}
		return n, nil
	case pChunkData:
		n := int(min(int64(len(b)), p.remaining))
		p.remaining -= int64(n)
		if err := p.grow(n); err != nil {
			return n, err
		}
		if p.remaining == 0 {
			p.state = pChunkEnd
		}
		return n, nil
	case pChunkEnd:
		line, n := cutLine(b)
		if n == 0 {
			if len(b) >= 2 {
				return 0, ErrChunk // not a line end
			}
			return 0, nil
		}
		if len(line) != 0 {
			return n, ErrChunk
		}
		p.state = pChunkSize
		return n, nil
	case pTrailer:
		line, n := cutLine(b)
		if n == 0 {
			return 0, nil
		}
		if len(line) == 0 {
			p.state = pDone
		}
		return n, nil
	}
	return 0, nil
}

// grow counts n body bytes against the limit.
func (p *Parser) grow(n int) error {
	p.BodySize += int64(n)
	if p.Limit > 0 && p.BodySize > p.Limit {
		return &BodyTooLarge{Limit: p.Limit}
	}
	return nil
}

// headEnd returns the length of the head at b's start, its blank line
// included (CRLF or bare LF line ends), or -1 when it is not all there.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return i + 1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		case i+1 >= len(b):
			return -1
		}
	}
}

// cutLine returns b's first line without its line end, and the bytes it
// took with it; 0 when b holds no whole line.
func cutLine(b []byte) ([]byte, int) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, 0
	}
	return bytes.TrimSuffix(b[:i], []byte{'\r'}), i + 1
}

// head parses the status line and headers of h (the blank line included).
func (p *Parser) head(h []byte) error {
	line, n := cutLine(h)
	h = h[n:]
	// "HTTP/1.1 200 OK": version, a space, three digits, then anything.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		len(line) > 12 && line[12] != ' ' {
		return ErrStatusLine
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return ErrStatusLine
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return ErrStatusLine
	}
	p.Status = code
	http11 := line[7] == '1'
	chunked, length, closeTok, keepTok := false, int64(-1), false, false
	for len(h) > 0 {
		line, n := cutLine(h)
		h = h[n:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return ErrHeader
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			v, ok := parseLength(value)
			if !ok || p.sawLength && v != length {
				return ErrLength
			}
			length, p.sawLength = v, true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			switch {
			case bytes.EqualFold(value, []byte("chunked")):
				chunked = true
			case bytes.EqualFold(value, []byte("identity")):
			default:
				return ErrEncoding
			}
		case bytes.EqualFold(name, []byte("Connection")):
			for v := range bytes.SplitSeq(value, []byte(",")) {
				v = bytes.Trim(v, " \t")
				closeTok = closeTok || bytes.EqualFold(v, []byte("close"))
				keepTok = keepTok || bytes.EqualFold(v, []byte("keep-alive"))
			}
		case bytes.EqualFold(name, []byte("Set-Cookie")):
			p.cookies = append(append(p.cookies, value...), 0)
		case bytes.EqualFold(name, []byte("Location")):
			p.location = append(p.location[:0], value...)
		}
	}
	// HTTP/1.1 keeps the connection unless told to close; 1.0 only when
	// told to keep it.
	p.KeepAlive = !closeTok && (http11 || keepTok)
	switch {
	case code == 101:
		return ErrSwitch
	case code < 200: // an interim answer (100 Continue): the real one follows
		p.Reset(p.HeadOnly)
		return nil
	case p.HeadOnly || code == 204 || code == 304:
		p.state = pDone
	case chunked:
		p.state = pChunkSize
	case length >= 0:
		if p.Limit > 0 && length > p.Limit {
			return &BodyTooLarge{Limit: p.Limit}
		}
		p.remaining, p.state = length, pLength
		if length == 0 {
			p.state = pDone
		}
	default:
		p.state, p.KeepAlive = pUntilClose, false
	}
	return nil
}

// parseLength parses a Content-Length value: decimal digits only.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// chunkSize parses a chunk-size line: hexadecimal digits, then maybe
// extensions after ';'.
func chunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, ErrChunk
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, ErrChunk
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}
