//go:build linux

package evloop

import (
	"slices"
	"testing"
	"time"
)

type recordExpire struct {
	name string
	got  *[]string
}

func (r recordExpire) Expire() { *r.got = append(*r.got, r.name) }

// TestLoopPostAndTimers: posted functions run on the loop in order; armed
// timers fire in time order, re-armed and disarmed ones as last set; Close
// runs what was posted and joins the loop.
func TestLoopPostAndTimers(t *testing.T) {
	t.Parallel()
	l, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	fired := make(chan struct{})
	base := time.Now()
	timers := map[string]*Timer{}
	for _, name := range []string{"c", "a", "b", "gone", "moved"} {
		timers[name] = &Timer{E: recordExpire{name, &got}}
	}
	last := &Timer{E: expireFunc(func() { close(fired) })}
	l.Post(func() {
		l.Arm(timers["c"], base.Add(3*time.Millisecond))
		l.Arm(timers["a"], base.Add(1*time.Millisecond))
		l.Arm(timers["b"], base.Add(2*time.Millisecond))
		l.Arm(timers["gone"], base.Add(2*time.Millisecond))
		l.Arm(timers["moved"], base)
		l.Arm(timers["moved"], base.Add(4*time.Millisecond))
		l.Disarm(timers["gone"])
		l.Arm(last, base.Add(5*time.Millisecond))
	})
	<-fired
	var posted []int
	for i := range 100 {
		if !l.Post(func() { posted = append(posted, i) }) {
			t.Fatal("Post refused before Close")
		}
	}
	l.Close()
	l.Close() // idempotent
	if want := []string{"a", "b", "c", "moved"}; !slices.Equal(got, want) {
		t.Errorf("timers fired %v, want %v", got, want)
	}
	if len(posted) != 100 || !slices.IsSorted(posted) {
		t.Errorf("posted ran %v", posted)
	}
	if l.Post(func() {}) {
		t.Error("Post accepted after Close")
	}
}

type expireFunc func()

func (f expireFunc) Expire() { f() }
