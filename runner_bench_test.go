//go:build unix

package herd

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStartUsers starts 100,000 users at once (two types, weights 3:1)
// and waits until every one has run its first task and parked, then stops
// them: the cost of a large spawn step, which the runner applies in chunks
// so that a stop or a new target never waits for the whole step. ns/user
// is wall time, spawn-ns/user until the last user was started, cpu-ns/user
// the process's CPU time (steadier on a busy machine).
func BenchmarkStartUsers(b *testing.B) {
	const users = 100_000
	var ran atomic.Int64
	newUser := func() User {
		return &funcUser{tasks: func() []Task {
			return []Task{{Run: func(context.Context) error { ran.Add(1); return nil }}}
		}}
	}
	a := &UserType{Name: "A", Weight: 3, Wait: Constant(time.Hour), New: newUser}
	c := &UserType{Name: "C", Weight: 1, Wait: Constant(time.Hour), New: newUser}
	var spawn, cpu time.Duration // until the last user was started; CPU time
	for b.Loop() {
		ran.Store(0)
		r, _ := newTestRunner(b, nil, runnerOptions{}, a, c)
		done := make(chan int, 1)
		began, cpu0 := time.Now(), cpuTime()
		r.start(users, 0, func(n int) { done <- n })
		<-done
		spawn += time.Since(began)
		for deadline := time.Now().Add(time.Minute); ran.Load() < users && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		cpu += cpuTime() - cpu0
		b.StopTimer()
		r.stop(time.Second)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/users, "ns/user")
	b.ReportMetric(float64(spawn.Nanoseconds())/float64(b.N)/users, "spawn-ns/user")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/users, "cpu-ns/user")
}
