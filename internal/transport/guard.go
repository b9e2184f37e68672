package transport

import (
	"encoding/binary"
	"fmt"
	"net"
)

// greetingSize is the length of the ZMTP 3 greeting.
const greetingSize = 64

// maxHandshakeFrame caps a frame during the handshake (a READY command
// with its metadata is well under 1 KiB).
const maxHandshakeFrame = 64 << 10

// guardConn watches the bytes zmq4 reads during the handshake and fails the
// read that completes a frame header declaring more than limit bytes,
// before zmq4 allocates that much. It never reads ahead: zmq4 asks for
// exact lengths and guardConn passes each request through once, so after
// the handshake the underlying connection is positioned at the first frame.
type guardConn struct {
	net.Conn
	limit    uint64
	greeting int    // greeting bytes still to pass
	hdr      []byte // header bytes collected so far
	body     uint64 // body bytes still to pass
	err      error
}

// newGuardConn wraps nc for one handshake.
func newGuardConn(nc net.Conn) *guardConn {
	return &guardConn{Conn: nc, limit: maxHandshakeFrame, greeting: greetingSize}
}

// Read reads from the connection and checks the frame headers passing by.
func (g *guardConn) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.Conn.Read(p)
	if cerr := g.inspect(p[:n]); cerr != nil {
		g.err = cerr
		return 0, cerr
	}
	return n, err
}

// inspect advances the frame parser over b.
func (g *guardConn) inspect(b []byte) error {
	for len(b) > 0 {
		switch {
		case g.greeting > 0:
			k := min(g.greeting, len(b))
			g.greeting -= k
			b = b[k:]
		case g.body > 0:
			k := min(g.body, uint64(len(b)))
			g.body -= k
			b = b[k:]
		default:
			g.hdr = append(g.hdr, b[0])
			b = b[1:]
			need := 2
			if g.hdr[0]&flagLong != 0 {
				need = 9
			}
			if len(g.hdr) < need {
				continue
			}
			size := uint64(g.hdr[1])
			if need == 9 {
				size = binary.BigEndian.Uint64(g.hdr[1:9])
			}
			g.hdr = g.hdr[:0]
			if size > g.limit {
				return fmt.Errorf("%w: handshake frame of %d bytes", ErrTooLarge, size)
			}
			g.body = size
		}
	}
	return nil
}
