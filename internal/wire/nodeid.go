package wire

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"unicode/utf8"
)

// NewNodeID returns a node id in Locust's shape, "<hostname>_<32 hex>"
// (the hex being a random UUID version 4 without dashes, like Python's
// uuid4().hex), using os.Hostname ("localhost" if unavailable).
func NewNodeID() string {
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	return NodeIDFor(host)
}

// NodeIDFor returns "<host>_<32 hex>" for the given host name. An empty or
// non-UTF-8 host becomes "localhost", because the id must be valid UTF-8
// and the master groups workers by the part before the first "_".
func NodeIDFor(host string) string {
	if host == "" || !utf8.ValidString(host) {
		host = "localhost"
	}
	var u [16]byte
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails (Go ≥ 1.24)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return host + "_" + hex.EncodeToString(u[:])
}

// NodeHost returns the part of a node id before the first "_", which the
// master's dispatcher takes as the worker's host name.
func NodeHost(nodeID string) string {
	host, _, _ := strings.Cut(nodeID, "_")
	return host
}
