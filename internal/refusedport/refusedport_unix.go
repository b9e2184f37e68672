//go:build unix

package refusedport

import (
	"fmt"
	"syscall"
	"testing"
)

// Addr returns "127.0.0.1:PORT" for a port that refuses connections until
// t ends: a socket bound to it that never listens. Without SO_REUSEADDR
// on it, no other socket can bind the port meanwhile, and a connection to
// a bound port that does not listen is refused (RST), as to a closed one.
func Addr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("refusedport: socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("refusedport: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("refusedport: getsockname: %v", err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
