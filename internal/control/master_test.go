package control

import (
	"testing"

	"github.com/herdload/herd/internal/transport"
)

// TestMaxWorkerConns: a master expecting more workers than the transport's
// default cap accepts them all, and their reconnects.
func TestMaxWorkerConns(t *testing.T) {
	for _, tt := range []struct{ expect, want int }{
		{1, transport.DefaultMaxConnections},
		{512, transport.DefaultMaxConnections},
		{1000, 2000},
		{5000, 10000},
	} {
		if got := maxWorkerConns(tt.expect); got != tt.want {
			t.Errorf("maxWorkerConns(%d) = %d, want %d", tt.expect, got, tt.want)
		}
	}
}
