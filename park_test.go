package herd

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// userGoroutines counts the goroutines running a user's loop in the
// caller's synctest bubble (other tests run theirs at the same time).
func userGoroutines(t *testing.T) int {
	t.Helper()
	self := make([]byte, 256)
	self = self[:runtime.Stack(self, false)]
	header, _, _ := bytes.Cut(self, []byte("\n"))
	_, bubble, ok := bytes.Cut(header, []byte(", synctest bubble "))
	if !ok {
		t.Fatalf("not in a synctest bubble: %s", header)
	}
	bubble, _, _ = bytes.Cut(bubble, []byte("]"))
	mark := []byte(", synctest bubble " + string(bubble) + "]")
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		header, _, _ := bytes.Cut(g, []byte("\n"))
		if bytes.Contains(header, mark) && bytes.Contains(g, []byte("herd.(*executor)")) {
			count++
		}
	}
	return count
}

// nestedTrace is a user type whose users log, per user, what they run: a
// top-level task and a sequential task set with hooks, waiting wait after
// every task, the set's tasks included.
func nestedTrace(wait time.Duration, log func(user int, what string)) *UserType {
	var ids atomic.Int64
	return &UserType{Name: "U", Wait: Constant(wait), New: func() User {
		id := int(ids.Add(1))
		var rounds int
		return &funcUser{
			tasks: func() []Task {
				return []Task{
					{Name: "top", Run: func(context.Context) error { log(id, "top"); return nil }},
					{Name: "set", Set: &TaskSet{
						Sequential: true,
						OnStart:    func(context.Context) error { log(id, "set start"); return nil },
						OnStop:     func(context.Context) error { log(id, "set stop"); return nil },
						Tasks: []Task{
							{Name: "a", Run: func(context.Context) error { log(id, "a"); return nil }},
							{Name: "b", Run: func(context.Context) error {
								log(id, "b")
								if rounds++; rounds%2 == 0 {
									return ErrInterrupt
								}
								return nil
							}},
						},
					}},
				}
			},
			onStart: func(context.Context) error { log(id, "start"); return nil },
			onStop:  func(context.Context) error { log(id, "stop"); return nil },
		}
	}}
}

// TestParkedUsersHoldNoGoroutine: users waiting a long time between tasks,
// at the top level or inside a task set, hold no goroutine, and run the
// same tasks in the same order as users that wait on their goroutine.
func TestParkedUsersHoldNoGoroutine(t *testing.T) {
	t.Parallel()
	const users = 20
	run := func(wait time.Duration, rounds int) (map[int][]string, []int) {
		traces := map[int][]string{}
		var goroutines []int
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			log := func(id int, what string) { mu.Lock(); traces[id] = append(traces[id], what); mu.Unlock() }
			r, _ := newTestRunner(t, nil, runnerOptions{}, nestedTrace(wait, log))
			r.start(users, 0, nil)
			for range rounds {
				synctest.Wait()
				goroutines = append(goroutines, userGoroutines(t))
				time.Sleep(wait)
			}
			if left := r.stop(time.Second); left != 0 {
				t.Errorf("%d users left running", left)
			}
		})
		return traces, goroutines
	}
	// The same seeds would not make the same picks: compare each user's
	// sequence of what the picks allow, the set's order and hooks.
	short, shortG := run(parkAfter/2, 30)
	long, longG := run(time.Second, 30)
	if len(long) != users || len(short) != users {
		t.Fatalf("%d and %d users logged, want %d", len(long), len(short), users)
	}
	for _, n := range longG {
		if n != 0 {
			t.Fatalf("parked users: goroutines running the loop at each wait = %v, want 0", longG)
		}
	}
	if slices.Max(shortG) != users {
		t.Errorf("users waiting %v: %v goroutines, want %d (they wait on their goroutine)", parkAfter/2, shortG, users)
	}
	for _, traces := range []map[int][]string{short, long} {
		for id, tr := range traces {
			if err := checkNestedTrace(tr); err != nil {
				t.Fatalf("user %d: %v\ntrace %v", id, err, tr)
			}
		}
	}
}

// checkNestedTrace checks a nestedTrace user's log: set hooks pair up
// around a, b (repeated until the interrupt after every second b), and
// OnStart and OnStop bracket it all.
func checkNestedTrace(tr []string) error {
	if len(tr) < 2 || tr[0] != "start" || tr[len(tr)-1] != "stop" {
		return fmt.Errorf("not bracketed by start and stop")
	}
	inSet, next, bs := false, "", 0
	for _, s := range tr[1 : len(tr)-1] {
		switch s {
		case "top":
			if inSet {
				return fmt.Errorf("top inside the set")
			}
		case "set start":
			if inSet {
				return fmt.Errorf("set started twice")
			}
			inSet, next = true, "a"
		case "a", "b":
			if !inSet || s != next {
				return fmt.Errorf("%s out of order", s)
			}
			if next = "b"; s == "b" {
				next = "a"
				if bs++; bs%2 == 0 {
					next = "set stop" // interrupted
				}
			}
		case "set stop":
			if !inSet {
				return fmt.Errorf("set stopped outside it")
			}
			inSet = false
		}
	}
	return nil
}

// TestStopWakesParkedUsers: a stop ends parked users at once, inside a set
// too (its OnStop runs), without waiting for the end of their waits.
func TestStopWakesParkedUsers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		traces := map[int][]string{}
		log := func(id int, what string) { mu.Lock(); traces[id] = append(traces[id], what); mu.Unlock() }
		r, _ := newTestRunner(t, nil, runnerOptions{stopTimeout: time.Minute}, nestedTrace(time.Hour, log))
		r.start(10, 0, nil)
		synctest.Wait()
		if n := userGoroutines(t); n != 0 {
			t.Fatalf("%d goroutines run parked users", n)
		}
		began := time.Now()
		if left := r.stop(time.Second); left != 0 {
			t.Errorf("%d users left running", left)
		}
		if took := time.Since(began); took != 0 {
			t.Errorf("stopping parked users took %v, want no time", took)
		}
		for id, tr := range traces {
			if err := checkNestedTrace(tr); err != nil {
				t.Errorf("user %d: %v\ntrace %v", id, err, tr)
			}
		}
		if r.running.Load() != 0 {
			t.Errorf("%d users still running", r.running.Load())
		}
	})
}

// TestParkingRaces parks and wakes many users on real timers while users
// are stopped, in small batches and all at once (run it with -race).
func TestParkingRaces(t *testing.T) {
	t.Parallel()
	var tasks, stops atomic.Int64
	ut := &UserType{Name: "U", Wait: Between(parkAfter, 2*parkAfter), New: func() User {
		return &funcUser{
			tasks:  func() []Task { return []Task{{Run: func(context.Context) error { tasks.Add(1); return nil }}} },
			onStop: func(context.Context) error { stops.Add(1); return nil },
		}
	}}
	r, _ := newTestRunner(t, nil, runnerOptions{stopTimeout: 5 * time.Second}, ut)
	const users = 200
	done := make(chan int, 1)
	r.start(users, 0, func(n int) { done <- n })
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for tasks.Load() < 4*users && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// Stop users while others park and wake, then the rest.
	for n := users - 10; n >= users/2; n -= 10 {
		r.start(n, 0, func(n int) { done <- n })
		<-done
	}
	if left := r.stop(5 * time.Second); left != 0 {
		t.Fatalf("%d users left running", left)
	}
	if got := stops.Load(); got != users {
		t.Errorf("%d users ran OnStop, want %d", got, users)
	}
	if tasks.Load() < 4*users {
		t.Errorf("only %d tasks ran", tasks.Load())
	}
}

// idleFastUser sends one request, then waits an hour.
type idleFastUser struct{ FastHTTPUser }

func (u *idleFastUser) Tasks() []Task {
	return []Task{{Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }}}
}

// TestIdleFastHTTPUsersHoldNoGoroutine: once FastHTTPUsers have sent
// their request and wait, no goroutine of theirs is left: the users are
// parked and their sessions run none (a fasthttp.Client would run two).
// The goroutines are told apart by a profiler label, which every goroutine
// the test's users start inherits.
func TestIdleFastHTTPUsersHoldNoGoroutine(t *testing.T) {
	t.Parallel()
	response := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	srv := loopbackServer(t, func(_ int, c net.Conn) { serveCanned(c, response) })
	const users = 20
	ut := &UserType{Name: "Idle", Wait: Constant(time.Hour), New: func() User { return &idleFastUser{} }}
	r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: 10 * time.Second}, ut)
	r.types[0].host = "http://" + srv.String()
	label := fmt.Sprintf("idle-fast-%p", r)
	pprof.Do(context.Background(), pprof.Labels("test", label), func(context.Context) {
		done := make(chan int, 1)
		r.start(users, 0, func(n int) { done <- n })
		<-done
	})
	defer r.stop(time.Second)
	deadline := time.Now().Add(20 * time.Second)
	var left int
	for {
		st.Tick(time.Now(), 0)
		sent := st.Snapshot(time.Now(), 0).Total.Requests
		left = labelledGoroutines(t, label)
		if sent == users && left == 0 || time.Now().After(deadline) {
			if sent != users {
				t.Fatalf("%d requests sent, want %d", sent, users)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left != 0 {
		var b bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d goroutines of %d idle FastHTTPUsers are left (label %s)\n%s", left, users, label, b.String())
	}
}

// labelledGoroutines counts the goroutines labelled test=label.
func labelledGoroutines(t *testing.T, label string) int {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	// Stacks are grouped: "N @ 0x… 0x…", then "# labels: {…}" when set.
	count, n := 0, 0
	want := fmt.Sprintf("%q:%q", "test", label)
	for line := range strings.SplitSeq(b.String(), "\n") {
		if c, _, ok := strings.Cut(line, " @ "); ok {
			n, _ = strconv.Atoi(c)
		} else if strings.HasPrefix(line, "# labels: ") && strings.Contains(line, want) {
			count += n
		}
	}
	return count
}
