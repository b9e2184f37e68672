//go:build !unix

package refusedport

import (
	"net"
	"testing"
)

// Addr returns "127.0.0.1:PORT" for a port that was free a moment ago
// (elsewhere than on Unix, a bound socket that does not listen may not
// refuse connections the same way).
func Addr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("refusedport: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
