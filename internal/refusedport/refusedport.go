// Package refusedport gives tests a loopback TCP port that refuses
// connections for as long as the test runs. A port that "was free a
// moment ago" is not enough: on a busy machine another test (or another
// process) may listen on it by the time the test dials, and the dial then
// fails in another way. Tests only.
package refusedport

import "testing"

// Endpoint returns "tcp://127.0.0.1:PORT" for a port that refuses
// connections until t ends.
func Endpoint(t testing.TB) string {
	t.Helper()
	return "tcp://" + Addr(t)
}
