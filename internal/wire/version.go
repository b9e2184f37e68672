package wire

import (
	"strconv"
	"strings"
)

// Versions relevant to the protocol.
const (
	// LocustVersion is the Locust release herd is wire-compatible with and
	// the version a herd worker announces in client_ready.
	LocustVersion = "2.12.1"
	// SkipVersionCheck is the client_ready integer that asks the master to
	// skip its version check.
	SkipVersionCheck = -1
	// MasterHeartbeatSince is the first release whose workers expect the
	// master's heartbeat (older ones log every one as unknown).
	MasterHeartbeatSince = "2.19.0"
	// MasterSpawningCompleteSince is the first release whose workers accept
	// the master's spawning_complete broadcast.
	MasterSpawningCompleteSince = "2.29.0"
)

// VersionAtLeast reports whether version (e.g. "2.46.4.dev23+g407343d0")
// is at least min (e.g. "2.19.0"), comparing the leading numeric
// components. A version without a leading number ("", "-1") is not.
func VersionAtLeast(version, min string) bool {
	v, ok := versionParts(version)
	if !ok {
		return false
	}
	m, _ := versionParts(min)
	for i := range max(len(v), len(m)) {
		a, b := part(v, i), part(m, i)
		if a != b {
			return a > b
		}
	}
	return true
}

// versionParts parses the leading dot-separated integers of a version.
func versionParts(version string) ([]int, bool) {
	var parts []int
	for _, field := range strings.Split(version, ".") {
		n, err := strconv.Atoi(field)
		if err != nil || n < 0 {
			break
		}
		parts = append(parts, n)
	}
	return parts, len(parts) > 0
}

// part returns parts[i] or 0.
func part(parts []int, i int) int {
	if i < len(parts) {
		return parts[i]
	}
	return 0
}
