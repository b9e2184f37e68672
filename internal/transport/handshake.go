package transport

import (
	"fmt"
	"net"
	"time"

	"github.com/go-zeromq/zmq4"
)

// identityKey is the READY metadata property carrying the routing id.
const identityKey = "Identity"

// handshake runs the ZMTP handshake with zmq4.Open: greeting, NULL
// security and READY carrying our socket type, identity (empty for a
// ROUTER, as libzmq sends it) and, when token is set, the token's proof.
// It is bounded by timeout, guarded against oversized frames, and
// recovers from panics inside zmq4 (its READY parser indexes past short
// metadata).
func handshake(nc net.Conn, typ zmq4.SocketType, identity, token string, timeout time.Duration) (zc *zmq4.Conn, err error) {
	defer func() {
		if p := recover(); p != nil {
			zc, err = nil, fmt.Errorf("%w: zmq4 panicked: %v", ErrHandshake, p)
		}
	}()
	if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	zc, err = zmq4.Open(newGuardConn(nc), security(token), typ, zmq4.SocketIdentity(identity), false, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	return zc, nil
}

// peerIdentity returns the Identity the peer announced in its READY.
func peerIdentity(zc *zmq4.Conn) string {
	return zc.Peer.Meta[identityKey]
}
