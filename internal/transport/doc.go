// Package transport carries Locust protocol frames over ZeroMQ DEALER and
// ROUTER sockets on TCP, interoperating with libzmq 4.3 (pyzmq) as used by
// Locust (locust-wire.md section 1).
//
// The ZMTP 3 connection handshake (greeting, NULL security, READY with
// Socket-Type and Identity) and frame writing come from
// github.com/go-zeromq/zmq4 (zmq4.Open and zmq4.Conn). The socket layer
// above it is this package's own, because zmq4's sockets do not meet the
// protocol's needs: they run handshakes inline in the accept loop without a
// timeout, allocate whatever frame size a peer declares, can panic on a
// malformed READY, deliver ZMTP commands as messages, fan sends to every
// connection sharing an identity, and can leave goroutines blocked after
// Close. Here every connection has a handshake deadline and a size guard,
// panics in zmq4 are recovered per connection, reads are capped per
// message, writes go through one writer goroutine per connection (with
// PING answered by PONG), TCP keep-alive is on with a 30 s idle time as
// Locust sets it, and Close waits for every goroutine it started.
//
// One Locust message is exactly one ZeroMQ frame: a Dealer sends and
// receives [payload]; a Router receives [identity, payload] and reports
// anything else (multi-frame messages, oversized frames) as a *PeerError,
// which is not fatal.
package transport
