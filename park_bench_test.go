package herd

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdleUserMemory starts users that record one timing and then
// wait an hour, and reports what each costs to keep: heap and stack bytes
// (after a garbage collection) and goroutines. It measures the runner's
// own share; an HTTP user adds its session's (see BenchmarkFastSessionIdle).
func BenchmarkIdleUserMemory(b *testing.B) {
	const users = 100_000
	ut := &UserType{Name: "U", Wait: Constant(time.Hour), New: func() User {
		return &funcUser{tasks: func() []Task {
			return []Task{{Run: func(ctx context.Context) error {
				Record(ctx, Request{Kind: "custom", Name: "op", Duration: time.Microsecond})
				return nil
			}}}
		}}
	}}
	var perUser, goroutines float64
	for b.Loop() {
		before := memInUse()
		g0 := runtime.NumGoroutine()
		r, _ := newTestRunner(b, nil, runnerOptions{}, ut)
		done := make(chan int, 1)
		r.start(users, 0, func(n int) { done <- n })
		<-done
		// Every user has run its task once and parked.
		deadline := time.Now().Add(time.Minute)
		for r.stats.Tick(time.Now(), 0); ; r.stats.Tick(time.Now(), 0) {
			if r.stats.Snapshot(time.Now(), 0).Total.Requests >= users || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		perUser = float64(memInUse()-before) / users
		goroutines = float64(runtime.NumGoroutine()-g0) / users
		r.stop(time.Second)
	}
	b.ReportMetric(perUser, "bytes/user")
	b.ReportMetric(goroutines, "goroutines/user")
}

// memInUse is the heap and stack memory in use after a collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
