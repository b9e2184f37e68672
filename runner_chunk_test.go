package herd

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// huge is a user count no machine holds: a runner that started a whole
// ramp step of it under one lock hold would never let a stop through.
const huge = 1_000_000_000

// farBelow bounds the users a test below may have started before its stop
// or new target got through: a few chunks in practice, while a ramp toward
// huge at rate huge asks for 5,000,001 users in its second step.
const farBelow = 200_000

// gate makes user types whose New returns at once for the first open users
// and then blocks until release is closed: user code that never returns,
// so nothing but the runner's own checks can end a spawn.
type gate struct {
	open    int64
	created atomic.Int64  // New calls so far
	reached chan struct{} // closed by the open-th New
	release chan struct{} // lets blocked New calls return
}

func newGate(open int64) *gate {
	return &gate{open: open, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) userType(name string, weight int) *UserType {
	return &UserType{Name: name, Weight: weight, Wait: Constant(time.Hour), New: func() User {
		n := g.created.Add(1)
		if n == g.open {
			close(g.reached)
		}
		if n > g.open {
			<-g.release
		}
		return &funcUser{tasks: func() []Task { return []Task{{Run: func(context.Context) error { return nil }}} }}
	}}
}

// checkStopped checks that a stopped runner counts no user, and that every
// user it ever started is accounted for: left are still in New.
func checkStopped(t *testing.T, r *runner, g *gate, left int) {
	t.Helper()
	r.mu.Lock()
	started := r.nextID
	r.mu.Unlock()
	if created := g.created.Load(); created != int64(started) {
		t.Errorf("New called %d times for %d users started", created, started)
	}
	if started >= farBelow {
		t.Errorf("%d users started before the stop got through, want far fewer", started)
	}
	if want := started - int(g.open); left != want {
		t.Errorf("stop returned with %d users left, want the %d still in New", left, want)
	}
	if n := r.userCount(); n != 0 {
		t.Errorf("userCount = %d after stop", n)
	}
	for name, n := range r.countsByType() {
		if n != 0 {
			t.Errorf("countsByType[%s] = %d after stop", name, n)
		}
	}
	t.Logf("%d users started before the stop", started)
}

func TestStopInterruptsAHugeRamp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newGate(100)
		r, _ := newTestRunner(t, nil, runnerOptions{stopTimeout: time.Second}, g.userType("A", 3), g.userType("B", 1))
		r.start(huge, huge, nil)
		<-g.reached // the second step (5,000,001 users) is under way
		left := r.stop(time.Second)
		checkStopped(t, r, g, left)
		close(g.release)
		r.users.Wait()
	})
}

func TestStopInterruptsHugeTypeCounts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newGate(100)
		r, _ := newTestRunner(t, nil, runnerOptions{stopTimeout: time.Second}, g.userType("A", 1), g.userType("B", 1))
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			r.setTypeCounts(map[string]int{"A": huge, "B": huge})
		}()
		<-g.reached
		left := r.stop(time.Second)
		<-returned
		checkStopped(t, r, g, left)
		close(g.release)
		r.users.Wait()
	})
}

func TestStopInterruptsAHugeOpenPool(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newGate(100)
		r, _ := newTestRunner(t, nil, runnerOptions{stopTimeout: time.Second}, g.userType("A", 1))
		errc := make(chan error, 1)
		go func() {
			errc <- r.startOpen(openOptions{next: func() (time.Duration, bool) { return 0, false }, pool: huge, maxUsers: huge})
		}()
		<-g.reached
		left := r.stop(time.Second)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		checkStopped(t, r, g, left)
		close(g.release)
		r.users.Wait()
	})
}

// activeIDs is the ids of each type's running users, oldest first.
func activeIDs(r *runner) [][]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([][]int, len(r.active))
	for t, a := range r.active {
		for _, h := range a {
			ids[t] = append(ids[t], h.id)
		}
	}
	return ids
}

// A new target replaces a huge ramp at once; the users it stops are the
// newest of each type, so Counts(n) describes exactly who runs, and every
// count seen between two chunks is the plan's exact mix for its total.
func TestNewTargetInterruptsAHugeRamp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newGate(5000)
		close(g.release) // New never blocks: the ramp runs flat out
		r, _ := newTestRunner(t, nil, runnerOptions{}, g.userType("A", 3), g.userType("B", 1))
		r.start(huge, huge, nil)
		<-g.reached
		before := activeIDs(r) // between two chunks
		total := len(before[0]) + len(before[1])
		if want := r.plan.Counts(total); len(before[0]) != want[0] || len(before[1]) != want[1] {
			t.Errorf("mid-ramp counts %d, %d are not the plan's %v for %d users", len(before[0]), len(before[1]), want, total)
		}
		done := make(chan int, 1)
		r.start(10, 0, func(n int) { done <- n })
		if n := <-done; n != 10 {
			t.Fatalf("spawning complete at %d users, want 10", n)
		}
		after := activeIDs(r)
		for ty, want := range r.plan.Counts(10) {
			if !slices.Equal(after[ty], before[ty][:want]) {
				t.Errorf("type %d runs users %v, want its %d oldest %v", ty, after[ty], want, before[ty][:want])
			}
		}
		if started := int(g.created.Load()); started >= farBelow {
			t.Errorf("%d users started before the new target got through, want far fewer", started)
		}
		if left := r.stop(time.Second); left != 0 {
			t.Errorf("%d users left", left)
		}
	})
}

// A worker's new counts replace huge ones that are still being applied,
// stopping the newest users of each type.
func TestTypeCountsReplaceHugeOnes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		g := newGate(5000)
		close(g.release)
		r, _ := newTestRunner(t, nil, runnerOptions{}, g.userType("A", 1), g.userType("B", 1))
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			r.setTypeCounts(map[string]int{"A": huge, "B": huge})
		}()
		<-g.reached
		before := activeIDs(r)
		r.setTypeCounts(map[string]int{"A": 3, "B": 0})
		<-returned
		after := activeIDs(r)
		if !slices.Equal(after[0], before[0][:3]) || len(after[1]) != 0 {
			t.Errorf("running %v, want A's 3 oldest %v and no B", after, before[0][:3])
		}
		if got := r.countsByType(); got["A"] != 3 || got["B"] != 0 {
			t.Errorf("countsByType = %v", got)
		}
		if left := r.stop(time.Second); left != 0 {
			t.Errorf("%d users left", left)
		}
	})
}

func TestStepCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		have, want, mid []int
		budget          int
		next            []int
	}{
		{[]int{0, 0}, []int{3, 1}, nil, 10, []int{3, 1}},
		{[]int{0, 0}, []int{3, 1}, nil, 2, []int{2, 0}},                          // types in order
		{[]int{0, 0}, []int{3000, 1000}, []int{750, 250}, 1000, []int{750, 250}}, // the plan's mix
		{[]int{5, 5}, []int{1, 9}, nil, 5, []int{1, 6}},                          // stops first
		{[]int{3000, 1000}, []int{3, 1}, []int{2250, 750}, 1000, []int{2250, 750}},
		{[]int{10, 0}, []int{10, 10}, []int{10, 0}, 4, []int{10, 4}}, // mid leaves nothing: ignored
		{[]int{8, 0}, []int{4, 4}, []int{9, 0}, 3, []int{5, 0}},      // mid past have: toward want
		{[]int{2, 2}, []int{2, 2}, nil, 1000, []int{2, 2}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.have, tt.want, tt.mid, tt.budget), func(t *testing.T) {
			t.Parallel()
			if got := stepCounts(tt.have, tt.want, tt.mid, tt.budget); !slices.Equal(got, tt.next) {
				t.Errorf("stepCounts = %v, want %v", got, tt.next)
			}
		})
	}
}
