package cluster

import (
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/herdload/herd/internal/transport"
)

// warnEvery is the period of the master's warnings about peers: the
// first of each kind in a period is logged in full, the rest are counted
// and summed up in one line when the period ends.
const warnEvery = 10 * time.Second

// warnings rate-limits the warnings that peers can cause at will (bad
// connections, frames and messages), so that an attack or a broken
// client cannot flood the log.
type warnings struct {
	log   *slog.Logger
	every time.Duration

	mu     sync.Mutex
	start  time.Time      // of the current period
	logged map[string]int // kinds logged in full in this period
	held   map[string]int // kinds counted but not logged in this period
}

func newWarnings(log *slog.Logger, every time.Duration) *warnings {
	return &warnings{log: log, every: every, logged: map[string]int{}, held: map[string]int{}}
}

// warn logs msg for the first warning of kind in the period, and counts
// the others.
func (w *warnings) warn(now time.Time, kind, msg string, args ...any) {
	w.mu.Lock()
	w.rollLocked(now)
	first := w.logged[kind] == 0
	if first {
		w.logged[kind]++
	} else {
		w.held[kind]++
	}
	w.mu.Unlock()
	if first {
		w.log.Warn(msg, args...)
	}
}

// flush ends the period if it is over, logging what it held back.
func (w *warnings) flush(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rollLocked(now)
}

// rollLocked starts a new period once the current one is over, after one
// line with the counts of the warnings it did not log.
func (w *warnings) rollLocked(now time.Time) {
	if now.Sub(w.start) < w.every {
		return
	}
	if len(w.held) > 0 {
		total := 0
		args := make([]any, 0, 2*len(w.held)+4)
		for _, k := range slices.Sorted(maps.Keys(w.held)) {
			args = append(args, k, w.held[k])
			total += w.held[k]
		}
		args = append(args, "suppressed", total, "period", w.every)
		w.log.Warn("master: more problems with peers, not logged one by one", args...)
	}
	w.start = now
	clear(w.logged)
	clear(w.held)
}

// peerErrorKind names a transport problem for the summary.
func peerErrorKind(err error) string {
	for _, k := range []struct {
		err  error
		kind string
	}{
		{transport.ErrToken, "bad_token"},
		{transport.ErrRefused, "refused"},
		{transport.ErrReplaced, "replaced"},
		{transport.ErrTimeout, "too_slow"},
		{transport.ErrTooLarge, "too_large"},
		{transport.ErrMultipart, "multi_frame"},
		{transport.ErrHandshake, "bad_handshake"},
		{transport.ErrProtocol, "bad_framing"},
	} {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return "peer_error"
}
