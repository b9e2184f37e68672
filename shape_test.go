package herd_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// userCounter records the user count of each type once a second.
type userCounter struct {
	mu      sync.Mutex
	running map[string]int
}

func (c *userCounter) add(typ string, d int) {
	c.mu.Lock()
	c.running[typ] += d
	c.mu.Unlock()
}

func (c *userCounter) get(typ string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running[typ]
}

type countedUser struct {
	c   *userCounter
	typ string
}

func (u countedUser) OnStart(context.Context) error { u.c.add(u.typ, 1); return nil }
func (u countedUser) OnStop(context.Context) error  { u.c.add(u.typ, -1); return nil }
func (u countedUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "idle", Run: func(context.Context) error { return nil }}}
}

func countedTest(c *userCounter, types ...string) *herd.Test {
	t := &herd.Test{}
	for _, name := range types {
		t.Users = append(t.Users, &herd.UserType{Name: name, Wait: herd.Constant(100 * time.Millisecond),
			New: func() herd.User { return countedUser{c: c, typ: name} }})
	}
	return t
}

// sampleUsers calls fn at each whole second after start until ctx ends.
func sampleUsers(ctx context.Context, fn func(sec int)) {
	for sec := 1; ; sec++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
			fn(sec)
		}
	}
}

// --shape drives the user count through its stages and ends the test.
func TestBuiltinShapeDrivesUsers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &userCounter{running: map[string]int{}}
		seen := map[int]int{}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { sampleUsers(ctx, func(sec int) { seen[sec] = c.get("U") }) })
		start := time.Now()
		code, _, stderr := runTest(t, context.Background(), countedTest(c, "U"),
			"--headless", "--only-summary", "--shape", "stages:5s:10,5s:10,5s:0")
		took := time.Since(start)
		cancel()
		wg.Wait()
		if code != herd.ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "load shape finished") {
			t.Errorf("the test did not end with its shape:\n%s", stderr)
		}
		// Fake time: the shape ends the test on the tick at exactly 15 s,
		// and idle users stop at once.
		if took != 15*time.Second {
			t.Errorf("run took %v, want the shape's 15 s", took)
		}
		// Ramp 0→10 at 2/s, hold, ramp down at 2/s.
		for sec, want := range map[int]int{2: 5, 7: 10, 9: 10, 12: 6, 14: 2} {
			if got := seen[sec]; got < want-1 || got > want+1 {
				t.Errorf("at %ds: %d users, want %d±1 (all: %v)", sec, got, want, seen)
			}
		}
	})
}

// A Go LoadShape may also pick which user types run.
func TestGoShapePicksUserTypes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &userCounter{running: map[string]int{}}
		test := countedTest(c, "Reader", "Writer")
		test.Shape = herd.ShapeFunc(func(elapsed time.Duration) (herd.ShapeTick, bool) {
			switch {
			case elapsed < 3*time.Second:
				return herd.ShapeTick{Users: 4, SpawnRate: 100, UserTypes: []string{"Reader"}}, true
			case elapsed < 6*time.Second:
				return herd.ShapeTick{Users: 6, SpawnRate: 100}, true
			}
			return herd.ShapeTick{}, false
		})
		seen := map[int][2]int{}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { sampleUsers(ctx, func(sec int) { seen[sec] = [2]int{c.get("Reader"), c.get("Writer")} }) })
		code, _, stderr := runTest(t, context.Background(), test, "--headless", "--only-summary")
		cancel()
		wg.Wait()
		if code != herd.ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if got := seen[2]; got != [2]int{4, 0} {
			t.Errorf("at 2s readers, writers = %v, want [4 0]", got)
		}
		if got := seen[5]; got != [2]int{3, 3} {
			t.Errorf("at 5s readers, writers = %v, want [3 3]", got)
		}
	})
}
