package herd

import (
	"context"
	"time"
)

// HostFrom returns the base URL of the user that ctx belongs to (the ctx a
// task or OnStart was given): -H/--host, else its type's Host or the test's
// fallback host. Outside a running user it returns "". Clients of other
// protocols (such as herdws) resolve their relative addresses against it.
func HostFrom(ctx context.Context) string {
	if env := envFrom(ctx); env != nil {
		return env.host
	}
	return ""
}

// RequestTimeoutFrom returns --request-timeout for the user that ctx
// belongs to, the time a client of its own should give one request before
// it counts as failed. Outside a running user it returns 0 (no timeout).
func RequestTimeoutFrom(ctx context.Context) time.Duration {
	if env := envFrom(ctx); env != nil {
		return env.timeout
	}
	return 0
}
