//go:build unix

package herd

import (
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIdleFastUserMemory is BenchmarkIdleUserMemory for whole
// FastHTTPUsers: idleSessions of them (fewer when the open-file limit is
// low) each send one request to a target in a child process
// (TestIdleServerProcess), then park for an hour. It reports what each
// keeps once idle: live heap (after garbage collection: the runner's share
// and the session's together), goroutine stacks and goroutines. With
// HERD_IDLE_HEAPPROFILE=path, it writes the idle users' heap profile there.
func BenchmarkIdleFastUserMemory(b *testing.B) {
	n := idleSessions
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < uint64(n)+200 {
		n = int(lim.Cur) - 200
	}
	if n < 100 {
		b.Skipf("open-file limit %d too low", lim.Cur)
	}
	url := idleServer(b)
	ut := &UserType{Name: "Idle", Wait: Constant(time.Hour), New: func() User { return &idleFastUser{} }}
	var before, after idleFigures
	for b.Loop() {
		r, st := newTestRunner(b, nil, runnerOptions{requestTimeout: 10 * time.Second}, ut)
		r.types[0].host = url
		before = idleMemory()
		done := make(chan int, 1)
		r.start(n, 0, func(n int) { done <- n })
		<-done
		deadline := time.Now().Add(time.Minute)
		for st.Tick(time.Now(), 0); ; st.Tick(time.Now(), 0) {
			s := st.Snapshot(time.Now(), 0).Total
			if s.Requests >= uint64(n) || time.Now().After(deadline) {
				if s.Failures > 0 || s.Requests < uint64(n) {
					b.Fatalf("%d requests, %d failures; want %d, 0", s.Requests, s.Failures, n)
				}
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The last users' goroutines end just after their request counts.
		for idleMemory().goroutines > before.goroutines && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		after = idleMemory()
		if path := os.Getenv("HERD_IDLE_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path) // the idle users' heap, before the stop
		}
		runtime.KeepAlive(r)
		r.stop(time.Second)
	}
	b.ReportMetric(float64(int64(after.heap)-int64(before.heap))/float64(n), "heap-B/user")
	b.ReportMetric(float64(int64(after.stack)-int64(before.stack))/float64(n), "stack-B/user")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/user")
	b.ReportMetric(float64(n), "users")
}

// writeHeapProfile writes the heap profile to path: with
// -memprofilerate 1, every idle user's objects
// (HERD_IDLE_HEAPPROFILE=path go test -bench IdleFastUserMemory …).
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
