//go:build linux

package transport

import (
	"net"
	"syscall"
	"testing"
)

// TestKeepAlive checks TCP_KEEPALIVE=1 and TCP_KEEPIDLE=30 on both ends, as
// Locust sets them on its ZeroMQ sockets.
func TestKeepAlive(t *testing.T) {
	r := newTestRouter(t)
	d := newTestDealer(t, r, "w_ka")
	if err := d.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	recvRouter(t, r)
	r.mu.Lock()
	routerSide := r.peers["w_ka"].nc
	r.mu.Unlock()
	d.mu.Lock()
	dealerSide := d.cur.nc
	d.mu.Unlock()
	for name, nc := range map[string]net.Conn{"router": routerSide, "dealer": dealerSide} {
		raw, err := nc.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var on, idle int
		var serr error
		if err := raw.Control(func(fd uintptr) {
			if on, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); serr != nil {
				return
			}
			idle, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		}); err != nil || serr != nil {
			t.Fatal(err, serr)
		}
		if on != 1 || idle != 30 {
			t.Errorf("%s: SO_KEEPALIVE=%d TCP_KEEPIDLE=%d, want 1 and 30", name, on, idle)
		}
	}
}
