package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// refusalLogEvery is the least time between two log lines of refused
// requests.
const refusalLogEvery = 10 * time.Second

// limitedLog logs a warning that clients can cause at will (a request
// refused by the Host check) at most once per period: the first one at
// once, then the first one after each period, which carries how many
// were not logged since the line before ("not_logged"). Close logs what
// is still held back.
type limitedLog struct {
	out   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	last    time.Time // of the last line; zero before the first
	held    int       // warnings not logged since the last line
	heldMsg string    // the message of the held warnings
}

func newLimitedLog(log *slog.Logger, every time.Duration, now func() time.Time) *limitedLog {
	return &limitedLog{out: log, every: every, now: now}
}

// log logs msg with attrs, unless a line was logged less than a period
// ago: then it only counts it.
func (l *limitedLog) log(msg string, attrs ...slog.Attr) {
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.held++
		l.heldMsg = msg
		l.mu.Unlock()
		return
	}
	held := l.held
	l.last, l.held = now, 0
	l.mu.Unlock()
	if held > 0 {
		attrs = append(attrs, slog.Int("not_logged", held))
	}
	l.out.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}

// close logs the count of warnings held back since the last line, if any.
func (l *limitedLog) close() {
	l.mu.Lock()
	held, msg := l.held, l.heldMsg
	l.held = 0
	l.mu.Unlock()
	if held > 0 {
		l.out.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.Int("not_logged", held))
	}
}
