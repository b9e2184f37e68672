//go:build unix

package refusedport

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// The port refuses connections, and nobody else can listen on it.
func TestAddrRefuses(t *testing.T) {
	addr := Addr(t)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s: connected, want refused", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", addr, err)
		}
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Errorf("listen on %s succeeded while it is held", addr)
	}
}
