package transport

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// budget is the memory a Router's received messages may hold at once,
// shared by all its connections. Waiters are served in arrival order, so a
// message that waits is not overtaken by later ones.
type budget struct {
	sem  *semaphore.Weighted
	used atomic.Int64 // bytes held, for tests and figures
}

// newBudget returns a budget of n bytes.
func newBudget(n int) *budget {
	return &budget{sem: semaphore.NewWeighted(int64(n))}
}

// acquire takes n bytes, waiting until they are free or ctx ends.
func (b *budget) acquire(ctx context.Context, n int) error {
	if err := b.sem.Acquire(ctx, int64(n)); err != nil {
		return err
	}
	b.used.Add(int64(n))
	return nil
}

// release gives back n bytes.
func (b *budget) release(n int) {
	if n > 0 {
		b.used.Add(-int64(n))
		b.sem.Release(int64(n))
	}
}
