package blackhole

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Addr returns "127.0.0.1:PORT" of a black hole that lasts until t ends,
// and its port. The test skips where a connect beyond the full queue does
// not hang.
func Addr(t testing.TB) (addr string, port int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port = sa.(*syscall.SockaddrInet4).Port
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	// A bound for a connect that completes at once on loopback, generous
	// for a loaded machine.
	filler, err := net.DialTimeout("tcp", addr, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	probe, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		if probe != nil {
			probe.Close()
		}
		t.Skipf("a connection beyond a full accept queue did not hang: %v", err)
	}
	return addr, port
}

// SynSent counts this machine's TCP sockets whose connect to port waits
// for an answer (SYN_SENT, from /proc/net/tcp).
func SynSent(t testing.TB, port int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(":%04X", port)
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasSuffix(f[2], want) && f[3] == "02" { // rem_address, st
			n++
		}
	}
	return n
}
