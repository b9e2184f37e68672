package cluster

import (
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/herdload/herd/internal/wire"
)

// TestAckGoesOutBeforeAnySpawn: a master queues a worker's ack while the
// registration still holds its lock. A dispatch reads the workers under
// that lock, so one running at the same time (a test that starts as the
// last expected worker connects) cannot send the worker a spawn before its
// ack: a worker not acked yet drops it, and its users never start (seen
// under load in internal/e2e).
func TestAckGoesOutBeforeAnySpawn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m, f := fakeMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}}})
		var open atomic.Bool
		f.mu.Lock()
		f.onSend = func(_ string, msg wire.Message) {
			if msg.Type == wire.TypeAck && m.mu.TryLock() {
				m.mu.Unlock()
				open.Store(true)
			}
		}
		f.mu.Unlock()
		registerFake(t, f, "w", false)
		if open.Load() {
			t.Error("the ack went out after the registration released the lock: a dispatch may overtake it")
		}
	})
}
