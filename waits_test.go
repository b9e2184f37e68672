package herd

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(context.Background(), 2*time.Second); err != nil || time.Since(start) != 2*time.Second {
			t.Errorf("Sleep(2s): %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start = time.Now()
		if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Errorf("Sleep cancelled after 1s: %v after %v", err, time.Since(start))
		}
		if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep(0) with a done context: %v", err)
		}
		if err := Sleep(context.Background(), -time.Second); err != nil {
			t.Errorf("Sleep(-1s): %v", err)
		}
	})
}

// waitLog notes, under a lock, what users' tasks saw.
type waitLog struct {
	mu    sync.Mutex
	times []time.Duration // since the test's start
	errs  []error
}

func (l *waitLog) note(start time.Time, err error) {
	l.mu.Lock()
	l.times = append(l.times, time.Since(start))
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func TestWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		wait  WaitTime
		work  time.Duration // the task's own time before it waits
		set   bool          // the task runs in a task set with its own wait
		want  time.Duration // Wait's pause
		inSet bool          // Wait is called from the set's OnStart
	}{
		{"the type's wait time", Constant(3 * time.Second), 0, false, 3 * time.Second, false},
		{"pacing sees the task's own time", ConstantPacing(5 * time.Second), 2 * time.Second, false, 3 * time.Second, false},
		{"no wait time", nil, 0, false, 0, false},
		{"a task set's wait time", Constant(3 * time.Second), 0, true, 7 * time.Second, false},
		{"in a task set's OnStart", Constant(3 * time.Second), 0, true, 7 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var log waitLog
				waitTask := Task{Name: "wait", Run: func(ctx context.Context) error {
					time.Sleep(tt.work)
					before := time.Now()
					err := Wait(ctx)
					log.note(before, err) // Wait's own pause
					return ErrStopUser
				}}
				tasks := []Task{waitTask}
				if tt.set {
					set := &TaskSet{Wait: Constant(7 * time.Second), Tasks: []Task{waitTask}}
					if tt.inSet {
						set.OnStart = func(ctx context.Context) error {
							before := time.Now()
							err := Wait(ctx)
							log.note(before, err)
							return ErrStopUser
						}
					}
					tasks = []Task{{Name: "set", Set: set}}
				}
				ut := &UserType{Name: "U", Wait: tt.wait, New: func() User {
					return &funcUser{tasks: func() []Task { return tasks }}
				}}
				r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
				r.start(1, 0, nil)
				synctest.Wait()
				time.Sleep(time.Minute)
				r.stop(time.Second)
				log.mu.Lock()
				defer log.mu.Unlock()
				if len(log.times) != 1 || log.errs[0] != nil || log.times[0] != tt.want {
					t.Errorf("Wait paused %v (%v), want %v once", log.times, log.errs, tt.want)
				}
			})
		})
	}
}

func TestWaitEndsAtTheStop(t *testing.T) {
	t.Parallel()
	for _, kill := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var log waitLog
			var stopped bool
			start := time.Now()
			ut := &UserType{Name: "U", Wait: Constant(time.Hour), New: func() User {
				return &funcUser{
					tasks: func() []Task {
						return []Task{{Run: func(ctx context.Context) error {
							err := Wait(ctx)
							log.note(start, err)
							return err
						}}}
					},
					onStop: func(context.Context) error { stopped = true; return nil },
				}
			}}
			opts := runnerOptions{stopTimeout: time.Minute}
			if kill {
				opts.stopTimeout = 0
			}
			r, _ := newTestRunner(t, nil, opts, ut)
			r.start(1, 0, nil)
			time.Sleep(10 * time.Second)
			r.stop(time.Second)
			log.mu.Lock()
			defer log.mu.Unlock()
			want := ErrStopUser
			if kill {
				want = context.Canceled
			}
			if len(log.errs) != 1 || !errors.Is(log.errs[0], want) || log.times[0] != 10*time.Second || !stopped {
				t.Errorf("kill %v: Wait returned %v at %v (OnStop ran: %v), want %v at 10s", kill, log.errs, log.times, stopped, want)
			}
		})
	}
	if err := Wait(context.Background()); err != nil {
		t.Errorf("Wait outside a user: %v", err)
	}
}

// pacedUser waits longer after each task: its WaitTime method sees its state.
type pacedUser struct {
	last  time.Duration
	start time.Time
	log   *waitLog
	inSet bool
}

func (u *pacedUser) WaitTime(time.Duration) time.Duration {
	u.last += time.Second
	return u.last
}

func (u *pacedUser) Tasks() []Task {
	note := Task{Name: "note", Run: func(context.Context) error { u.log.note(u.start, nil); return nil }}
	if u.inSet {
		return []Task{{Name: "set", Set: &TaskSet{Wait: Constant(10 * time.Second), Tasks: []Task{note}}}}
	}
	return []Task{note}
}

func TestUserWaitTimeMethod(t *testing.T) {
	t.Parallel()
	for _, inSet := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var log waitLog
			start := time.Now()
			ut := &UserType{Name: "U", Wait: Constant(time.Hour), // the method wins
				New: func() User { return &pacedUser{start: start, log: &log, inSet: inSet} }}
			r, _ := newTestRunner(t, nil, runnerOptions{}, ut)
			r.start(1, 0, nil)
			time.Sleep(35 * time.Second)
			synctest.Wait()
			r.stop(time.Second)
			log.mu.Lock()
			defer log.mu.Unlock()
			want := []time.Duration{0, time.Second, 3 * time.Second, 6 * time.Second, 10 * time.Second, 15 * time.Second, 21 * time.Second, 28 * time.Second}
			if inSet { // the set's own wait time wins inside it
				want = []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second}
			}
			if !slices.Equal(log.times, want) {
				t.Errorf("in a set %v: tasks ran at %v, want %v", inSet, log.times, want)
			}
		})
	}
}
