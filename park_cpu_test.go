//go:build unix

package herd

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWaitCPU reports the CPU time per task of 1,000 users that wait
// exactly parkAfter between tasks that only record a timing: parked waits
// (a timer and a fresh goroutine per wait), and, in /blocking, the same
// users waiting just under parkAfter on their own goroutines.
func BenchmarkWaitCPU(b *testing.B) {
	for _, bc := range []struct {
		name string
		wait time.Duration
	}{{"parked", parkAfter}, {"blocking", parkAfter - time.Microsecond}} {
		b.Run(bc.name, func(b *testing.B) {
			const users = 1000
			var tasks atomic.Int64
			ut := &UserType{Name: "U", Wait: Constant(bc.wait), New: func() User {
				return &funcUser{tasks: func() []Task {
					return []Task{{Run: func(ctx context.Context) error {
						tasks.Add(1)
						Record(ctx, Request{Kind: "custom", Name: "op", Duration: time.Microsecond})
						return nil
					}}}
				}}
			}}
			r, _ := newTestRunner(b, nil, runnerOptions{}, ut)
			done := make(chan int, 1)
			r.start(users, 0, func(n int) { done <- n })
			<-done
			cpu0, t0 := cpuTime(), tasks.Load()
			deadline := time.Now().Add(time.Minute)
			for tasks.Load()-t0 < int64(b.N) && time.Now().Before(deadline) {
				time.Sleep(parkAfter)
			}
			cpu, n := cpuTime()-cpu0, tasks.Load()-t0
			r.stop(time.Second)
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/task")
		})
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
