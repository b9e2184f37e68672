package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// timedLogs keeps log records with the (fake) time they were made at.
type timedLogs struct {
	mu   sync.Mutex
	t0   time.Time
	recs []timedRec
}

type timedRec struct {
	at    time.Duration // since t0
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r timedRec) String() string {
	return fmt.Sprintf("%v %s %s %v", r.at, r.level, r.msg, r.attrs)
}

func (l *timedLogs) Enabled(context.Context, slog.Level) bool { return true }

func (l *timedLogs) Handle(_ context.Context, r slog.Record) error {
	rec := timedRec{at: r.Time.Sub(l.t0), level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

func (l *timedLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *timedLogs) WithGroup(string) slog.Handler      { return l }

func (l *timedLogs) records() []timedRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]timedRec(nil), l.recs...)
}

// closedPort is a TCP endpoint on 127.0.0.1 that refuses connections:
// a port that was free a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
}

// TestWorkerDialBackoff: a worker whose master refuses connections logs
// the first failed attempt at once, with the address and the error, and
// every following one after a pause that doubles from 1 s up to
// ReadyRetry (5 s); after ReadyTries (60) failed attempts it gives up with
// an error that says so. The dials are real (a closed port on
// 127.0.0.1), the pauses run on synctest's clock.
func TestWorkerDialBackoff(t *testing.T) {
	t.Parallel()
	master := closedPort(t)
	synctest.Test(t, func(t *testing.T) {
		logs := &timedLogs{t0: time.Now()}
		err := RunWorker(context.Background(), WorkerOptions{Master: master, NodeID: "herd_1", Logger: slog.New(logs)},
			newScriptedLocal("Shopper"))
		took := time.Since(logs.t0)

		recs := logs.records()
		if len(recs) != 59 {
			t.Fatalf("%d log records, want 59 (one per failed attempt but the last): %v", len(recs), recs)
		}
		var at time.Duration
		wait := time.Second
		for i, r := range recs {
			if i > 0 {
				at += wait
				wait = min(2*wait, 5*time.Second)
			}
			want := timedRec{at: at, level: slog.LevelWarn, msg: "cannot connect to the master", attrs: map[string]string{
				"master": master, "try": fmt.Sprintf("%d/60", i+1), "retry_in": wait.String()}}
			if r.at != want.at || r.level != want.level || r.msg != want.msg || r.attrs["try"] != want.attrs["try"] ||
				r.attrs["retry_in"] != want.attrs["retry_in"] || r.attrs["master"] != master ||
				!strings.Contains(r.attrs["err"], "connection refused") {
				t.Fatalf("record %d:\n %v\nwant\n %v err=…connection refused", i, r, want)
			}
		}
		// The last attempt follows the last pause.
		if want := at + wait; took != want {
			t.Errorf("gave up after %v, want %v", took, want)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("the error does not wrap the last attempt's: %v", err)
		}
		if want := fmt.Sprintf("cannot connect to the master at %s: 60 attempts in 4m47s failed", master); err == nil ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one with %q", err, want)
		}
	})
}

// TestWorkerDialCanceled: Ctrl-C while the worker waits for its master
// ends RunWorker with an error that wraps context.Canceled (the graceful
// end of a worker), not the attempts' budget.
func TestWorkerDialCanceled(t *testing.T) {
	t.Parallel()
	master := closedPort(t)
	synctest.Test(t, func(t *testing.T) {
		logs := &timedLogs{t0: time.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := RunWorker(ctx, WorkerOptions{Master: master, NodeID: "herd_1", Logger: slog.New(logs)}, newScriptedLocal("Shopper"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RunWorker ended with %v, want the context's error", err)
		}
		if took := time.Since(logs.t0); took != 10*time.Second {
			t.Errorf("RunWorker returned after %v, want 10s", took)
		}
		if n := len(logs.records()); n != 4 { // at 0, 1, 3 and 7 s
			t.Errorf("%d records, want 4: %v", n, logs.records())
		}
	})
}

// TestWorkerDialSmallBudget: ReadyRetry caps the pauses and ReadyTries
// sets the budget.
func TestWorkerDialSmallBudget(t *testing.T) {
	t.Parallel()
	master := closedPort(t)
	synctest.Test(t, func(t *testing.T) {
		logs := &timedLogs{t0: time.Now()}
		err := RunWorker(context.Background(), WorkerOptions{Master: master, NodeID: "herd_1", Logger: slog.New(logs),
			ReadyRetry: 2 * time.Second, ReadyTries: 4}, newScriptedLocal("Shopper"))
		var got []string
		for _, r := range logs.records() {
			got = append(got, fmt.Sprintf("%v try=%s retry_in=%s", r.at, r.attrs["try"], r.attrs["retry_in"]))
		}
		want := []string{"0s try=1/4 retry_in=1s", "1s try=2/4 retry_in=2s", "3s try=3/4 retry_in=2s"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if err == nil || !strings.Contains(err.Error(), "4 attempts in 5s failed") {
			t.Errorf("error %v", err)
		}
	})
}
