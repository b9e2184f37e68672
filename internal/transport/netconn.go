package transport

import (
	"context"
	"net"
)

// keepAlive is the TCP keep-alive setting Locust uses: enabled, idle time
// set, probe interval and count left to the operating system.
func (o options) keepAlive() net.KeepAliveConfig {
	return net.KeepAliveConfig{Enable: true, Idle: o.keepAliveIdle, Interval: -1, Count: -1}
}

// dialTCP connects to addr with keep-alive on.
func (o options) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAliveConfig: o.keepAlive()}
	return d.DialContext(ctx, "tcp", addr)
}

// listenTCP listens on addr; accepted connections get keep-alive.
func (o options) listenTCP(ctx context.Context, addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAliveConfig: o.keepAlive()}
	return lc.Listen(ctx, "tcp", addr)
}
