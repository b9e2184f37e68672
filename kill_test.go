package herd

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
)

// countKills is a kill watcher that counts what it heard.
type countKills struct {
	watch killWatch
	n     int
}

func (c *countKills) userKilled() { c.n++ }

// TestKillWatchLists: each kill tells the watchers of the users it kills,
// and only while they are watching; the runner's list of users with
// watchers stays whole as watchers come and go in any order.
func TestKillWatchLists(t *testing.T) {
	t.Parallel()
	r, _ := newTestRunner(t, nil, runnerOptions{}, &UserType{Name: "U", New: func() User { return nil }})
	hs := make([]*userHandle, 3)
	for i := range hs {
		_, cancel := context.WithCancel(r.ctx)
		hs[i] = &userHandle{id: i, cancel: cancel}
	}
	ws := make([]*countKills, 5)
	owner := []int{0, 0, 1, 2, 2} // watcher → user
	for i := range ws {
		ws[i] = &countKills{}
		ws[i].watch.w = ws[i]
		r.watchKill(hs[owner[i]], &ws[i].watch)
	}
	check := func(step string, want ...int) {
		t.Helper()
		for i, w := range ws {
			if w.n != want[i] {
				t.Errorf("%s: watcher %d heard %d kills, want %d", step, i, w.n, want[i])
			}
		}
		n := 0
		for h := r.watched; h != nil; h = h.killNext {
			if h.killNext != nil && h.killNext.killPrev != h {
				t.Fatalf("%s: the runner's list is broken after user %d", step, h.id)
			}
			n++
		}
		users := map[int]bool{}
		for i, w := range ws {
			if onList(hs[owner[i]], &w.watch) {
				users[owner[i]] = true
			}
		}
		if n != len(users) {
			t.Errorf("%s: %d users on the runner's list, want %d", step, n, len(users))
		}
	}
	r.killUser(hs[0])
	check("user 0 killed", 1, 1, 0, 0, 0)
	r.unwatchKill(hs[2], &ws[3].watch)
	r.unwatchKill(hs[2], &ws[3].watch) // twice: nothing
	r.killUser(hs[2])
	check("user 2 killed, watcher 3 gone", 1, 1, 0, 0, 1)
	r.unwatchKill(hs[1], &ws[2].watch) // user 1 leaves the runner's list
	r.unwatchKill(hs[0], &ws[0].watch)
	check("watchers 0 and 2 gone", 1, 1, 0, 0, 1)
	r.kill()
	check("every user killed", 1, 2, 0, 0, 2)
	for i, w := range ws {
		r.unwatchKill(hs[owner[i]], &w.watch)
	}
	if r.watched != nil {
		t.Errorf("users left on the runner's list with no watcher")
	}
	if r.ctx.Err() == nil {
		t.Errorf("the runner's context is not cancelled")
	}
}

func onList(h *userHandle, w *killWatch) bool {
	for p := h.kills; p != nil; p = p.next {
		if p == w {
			return true
		}
	}
	return false
}

// stallTwoUser holds its request on a second session (NewFastSession),
// after one on its own: two watchers on its kill list.
type stallTwoUser struct {
	FastHTTPUser
	other *FastSession
}

func (u *stallTwoUser) OnStart(ctx context.Context) error {
	var err error
	if u.other, err = NewFastSession(ctx, u.Client.env.host); err != nil {
		return err
	}
	return u.Client.Get(ctx, "/ok/two").Err()
}

func (u *stallTwoUser) Tasks() []Task {
	return []Task{{Name: "stall", Run: func(ctx context.Context) error {
		for range stallCalls {
			u.other.Get(ctx, "/two")
		}
		return nil
	}}}
}

// TestKillAbortsOnEveryPath: a FastSession's request in flight (the
// target holds it, the request timeout is an hour) ends as soon as its
// user is killed, on every path of the runner that kills users: fewer
// users (each user's kill, at once or after the stop timeout) and the
// stop (every user's, at once or after the stop timeout). Each request is
// counted as interrupted at the stop.
func TestKillAbortsOnEveryPath(t *testing.T) {
	t.Parallel()
	fewer := func(r *runner) { r.start(0, 0, nil) }
	stop := func(r *runner) {
		if left := r.stop(30 * time.Second); left != 0 {
			t.Errorf("%d users still running after the kill", left)
		}
	}
	for _, tt := range []struct {
		name        string
		stopTimeout time.Duration
		kill        func(*runner)
	}{
		{"fewer users at once", 0, fewer},
		{"fewer users after the stop timeout", time.Millisecond, fewer},
		{"the stop at once", 0, stop},
		{"the stop after the stop timeout", time.Millisecond, stop},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newStallServer(t)
			const users = 2
			types := []*UserType{
				{Name: "Fast", New: func() User { return &stallFastUser{path: "/fast"} }},
				{Name: "Two", New: func() User { return new(stallTwoUser) }},
			}
			r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour, stopTimeout: tt.stopTimeout}, types...)
			for _, ut := range r.types {
				ut.host = srv.URL
			}
			done := make(chan int, 1)
			r.start(users*len(types), 0, func(n int) { done <- n })
			<-done
			waitFor(t, "every user's request at the target", func() bool {
				return srv.received("/fast") == users && srv.received("/two") == users
			})
			tt.kill(r)
			waitFor(t, "every user's end", func() bool { return r.running.Load() == 0 })
			srv.release() // only now: the kills did not wait for an answer
			r.stop(30 * time.Second)

			snap := snapshot(st)
			for _, path := range []string{"/fast", "/two"} {
				e := entry(snap, path)
				if e.Requests != users || e.Failures != users {
					t.Errorf("%s: %d requests, %d failures, want %d interrupted", path, e.Requests, e.Failures, users)
				}
			}
			for _, f := range snap.Failures {
				if f.Error != failure.InterruptedMessage {
					t.Errorf("failure %q at %s, want %q", f.Error, f.Name, failure.InterruptedMessage)
				}
			}
			if r.watched != nil {
				t.Errorf("the runner still lists watchers once every user ended")
			}
		})
	}
}

// TestRunSingleUserKillAborts: cancelling RunSingleUser's ctx kills its
// user, whose FastSession request in flight ends at once.
func TestRunSingleUserKillAborts(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ut := &UserType{Name: "Fast", New: func() User { return &stallFastUser{path: "/fast"} }}
	result := make(chan error, 1)
	go func() {
		result <- RunSingleUser(ctx, ut, SingleUser{Host: srv.URL, RequestTimeout: time.Hour, Out: io.Discard})
	}()
	waitFor(t, "the request at the target", func() bool { return srv.received("/fast") == 1 })
	cancel() // the target holds the request: only the kill can end it
	waitFor(t, "RunSingleUser's return", func() bool {
		select {
		case err := <-result:
			if err == nil {
				t.Errorf("RunSingleUser = nil, want the interrupted request's failure")
			}
			return true
		default:
			return false
		}
	})
	if n := srv.received("/fast"); n != 1 {
		t.Errorf("the target got %d requests, want 1", n)
	}
}
