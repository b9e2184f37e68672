package herd

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestStartBackoff(t *testing.T) {
	t.Parallel()
	s := time.Second
	steps := []struct {
		at      time.Duration // since zero; negative: an OnStart succeeded
		wait    time.Duration
		fresh   bool
		comment string
	}{
		{0, s, true, "first failure: 1 s"},
		{s / 2, s / 2, false, "during the back-off: its end"},
		{s, 2 * s, true, "after it: doubled"},
		{3 * s, 4 * s, true, ""},
		{7 * s, 8 * s, true, ""},
		{15 * s, 16 * s, true, ""},
		{31 * s, 30 * s, true, "capped at 30 s"},
		{61 * s, 30 * s, true, ""},
		{-1, 0, false, "an OnStart succeeds"},
		{100 * s, s, true, "back to 1 s"},
	}
	var b startBackoff
	zero := time.Unix(1e9, 0)
	for _, st := range steps {
		if st.at < 0 {
			b.succeeded()
			continue
		}
		wait, fresh := b.failed(zero.Add(st.at))
		if wait != st.wait || fresh != st.fresh {
			t.Errorf("failure at %v (%s): wait %v, fresh %v; want %v, %v", st.at, st.comment, wait, fresh, st.wait, st.fresh)
		}
	}
}

// shopper is a demo-like user: it logs in in OnStart (a recorded request
// that fails once in 100) and its tasks need the login.
type loginShopper struct {
	logins   *atomic.Int64
	sawAnon  *atomic.Int64
	stops    *atomic.Int64
	started  *sync.Map // user → when OnStart was called
	loggedIn bool
}

var errLoginFailed = errors.New("HTTP 500 Internal Server Error")

func (u *loginShopper) OnStart(ctx context.Context) error {
	n := u.logins.Add(1)
	return Time(ctx, "POST", "/api/login", func(context.Context) (int64, error) {
		time.Sleep(10 * time.Millisecond)
		if n%100 == 50 {
			return 0, errLoginFailed
		}
		u.loggedIn = true
		return 10, nil
	})
}

func (u *loginShopper) OnStop(context.Context) error {
	u.stops.Add(1)
	return nil
}

func (u *loginShopper) Tasks() []Task {
	return []Task{{Name: "browse", Run: func(ctx context.Context) error {
		if !u.loggedIn {
			u.sawAnon.Add(1)
		}
		return Time(ctx, "GET", "/api/cart", func(context.Context) (int64, error) { return 1, nil })
	}}}
}

func TestFailingOnStartIsReplaced(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var logins, sawAnon, stops atomic.Int64
		ut := &UserType{Name: "Shopper", Wait: Between(500*time.Millisecond, 2*time.Second), New: func() User {
			return &loginShopper{logins: &logins, sawAnon: &sawAnon, stops: &stops}
		}}
		var logs syncLog
		r, st := newTestRunner(t, nil, runnerOptions{}, ut)
		r.log = slog.New(slog.NewTextHandler(&logs, nil))
		const users = 1000
		start := time.Now()
		r.start(users, 0, nil) // every user at once: 10 logins fail together
		for _, at := range []time.Duration{500 * time.Millisecond, time.Second, 3 * time.Second, 30 * time.Second} {
			time.Sleep(at - time.Since(start))
			synctest.Wait()
			if n := r.userCount(); n != users {
				t.Errorf("at %v: %d users, want %d", at, n, users)
			}
		}
		r.stop(time.Second)
		snap := snapshot(st)

		// Logins 50, 150, …, 950 failed; their users were replaced after
		// 1 s, and the replacements' logins (1,001 to 1,010) succeeded.
		if n := logins.Load(); n != users+10 {
			t.Errorf("%d logins, want %d (every user, and 10 replacements)", n, users+10)
		}
		if n := sawAnon.Load(); n != 0 {
			t.Errorf("%d tasks ran without a login", n)
		}
		if n := stops.Load(); n != users {
			t.Errorf("OnStop ran %d times, want %d (not for the users whose OnStart failed)", n, users)
		}
		login := entry(snap, "/api/login")
		if login.Requests != users+10 || login.Failures != 10 {
			t.Errorf("/api/login: %d requests, %d failures; want %d, 10", login.Requests, login.Failures, users+10)
		}
		var onStart uint64
		for _, e := range snap.Errors {
			if strings.Contains(e.Trace, "Shopper.OnStart") {
				onStart += e.Count
			}
		}
		if onStart != 10 {
			t.Errorf("%d OnStart errors counted, want 10: %+v", onStart, snap.Errors)
		}
		if got := strings.Count(logs.String(), "OnStart failed"); got != 1 {
			t.Errorf("%d back-off warnings, want 1 (the 10 failures share one back-off):\n%s", got, logs.String())
		}
		if !strings.Contains(logs.String(), "user_type=Shopper backoff=1s") || !strings.Contains(logs.String(), errLoginFailed.Error()) {
			t.Errorf("the warning lacks the type, back-off or error:\n%s", logs.String())
		}
	})
}

// syncLog is a log destination for several goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestOnStartThatAlwaysFails(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"error", "panic"} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			var mu sync.Mutex
			var calls []time.Duration
			var stops, tasks atomic.Int64
			ut := &UserType{Name: "Broken", New: func() User {
				return &funcUser{
					tasks: func() []Task {
						return []Task{{Run: func(context.Context) error { tasks.Add(1); return nil }}}
					},
					onStart: func(context.Context) error {
						mu.Lock()
						calls = append(calls, time.Since(start))
						mu.Unlock()
						if how == "panic" {
							panic("no credentials")
						}
						return errors.New("no credentials")
					},
					onStop: func(context.Context) error { stops.Add(1); return nil },
				}
			}}
			var logs syncLog
			r, st := newTestRunner(t, nil, runnerOptions{stopTimeout: time.Minute}, ut)
			r.log = slog.New(slog.NewTextHandler(&logs, nil))
			r.start(1, 0, nil)
			time.Sleep(100 * time.Second)
			synctest.Wait()
			if n := r.userCount(); n != 1 {
				t.Errorf("%s: %d users during the back-offs, want 1", how, n)
			}
			began := time.Now()
			if left := r.stop(time.Second); left != 0 || time.Since(began) != 0 {
				t.Errorf("%s: the stop took %v and left %d users: a user in its back-off stops at once", how, time.Since(began), left)
			}
			s := time.Second
			want := []time.Duration{0, s, 3 * s, 7 * s, 15 * s, 31 * s, 61 * s, 91 * s}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(calls, want) {
				t.Errorf("%s: OnStart at %v, want %v", how, calls, want)
			}
			if stops.Load() != 0 || tasks.Load() != 0 {
				t.Errorf("%s: %d OnStop and %d tasks ran", how, stops.Load(), tasks.Load())
			}
			if got := strings.Count(logs.String(), "OnStart failed"); got != len(want) {
				t.Errorf("%s: %d warnings, want %d", how, got, len(want))
			}
			if errs := snapshot(st).Errors; len(errs) != 1 || errs[0].Count != uint64(len(want)) {
				t.Errorf("%s: errors %+v, want one row of %d", how, errs, len(want))
			}
		})
	}
}

func TestOnStartControlErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var stops, tasks atomic.Int64
		ut := &UserType{Name: "Done", New: func() User {
			return &funcUser{
				tasks: func() []Task {
					return []Task{{Run: func(context.Context) error { tasks.Add(1); return nil }}}
				},
				onStart: func(context.Context) error { return ErrStopUser },
				onStop:  func(context.Context) error { stops.Add(1); return nil },
			}
		}}
		r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(3, 0, nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.userCount(); n != 0 || stops.Load() != 3 || tasks.Load() != 0 {
			t.Errorf("OnStart returning ErrStopUser: %d users left, %d OnStop, %d tasks; want 0, 3, 0", n, stops.Load(), tasks.Load())
		}
		r.stop(time.Second)

		ut.New = func() User {
			return &funcUser{
				tasks:   func() []Task { return []Task{{Run: func(context.Context) error { return nil }}} },
				onStart: func(context.Context) error { return ErrStopTest },
			}
		}
		r, _ = newTestRunner(t, nil, runnerOptions{}, ut)
		r.start(1, 0, nil)
		select {
		case <-r.stopTestRequested():
		case <-time.After(time.Minute):
			t.Error("OnStart returning ErrStopTest did not stop the test")
		}
		r.stop(time.Second)
	})
}
