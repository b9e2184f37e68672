package herd

import (
	"context"
	"time"
)

// RequestTimeoutFrom returns --request-timeout for the user that ctx
// belongs to, the time a client of its own should give one request before
// it counts as failed. Outside a running user it returns 0 (no timeout).
func RequestTimeoutFrom(ctx context.Context) time.Duration {
	if env := envFrom(ctx); env != nil {
		return env.timeout
	}
	return 0
}
