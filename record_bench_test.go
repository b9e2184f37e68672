package herd

import (
	"context"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// benchEnv is a user's environment outside a run, for benchmarks: its
// life is a context of its own, as a running user's.
func benchEnv(b *testing.B) (context.Context, *stats.Stats) {
	b.Helper()
	st := stats.New(time.Now(), stats.Options{})
	life, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	env := &userEnv{shard: st.Shard(0), events: &Events{}, ctx: life, timeout: time.Minute}
	return context.WithValue(life, envKey{}, env), st
}

// BenchmarkRecordAPI is the custom-client path: one herd.Record call.
func BenchmarkRecordAPI(b *testing.B) {
	ctx, _ := benchEnv(b)
	r := Request{Kind: "redis", Name: "GET user:{id}", Duration: 420 * time.Microsecond, Size: 64}
	b.ReportAllocs()
	for b.Loop() {
		Record(ctx, r)
	}
}

// BenchmarkTimeAPI times and records an operation that does nothing, so the
// figure is herd's whole overhead per custom-client call.
func BenchmarkTimeAPI(b *testing.B) {
	ctx, _ := benchEnv(b)
	op := func(context.Context) (int64, error) { return 64, nil }
	b.ReportAllocs()
	for b.Loop() {
		_ = Time(ctx, "redis", "GET user:{id}", op)
	}
}

// BenchmarkTaskLoop runs a user's loop with a task that only records a
// timing: task pick, call, recording and the (zero) wait.
func BenchmarkTaskLoop(b *testing.B) {
	ctx, st := benchEnv(b)
	env := envFrom(ctx)
	h := &userHandle{}
	x := &executor{r: &runner{events: &Events{}}, h: h, env: env, typ: &userType{UserType: &UserType{Name: "B"}}}
	n := 0
	task := func(ctx context.Context) error {
		n++
		if n == b.N {
			h.requestStop()
		}
		Record(ctx, Request{Kind: "custom", Name: "op", Duration: time.Microsecond})
		return nil
	}
	c := compile([]Task{{Run: task, Weight: 3}, {Run: task}}, false, nil)
	x.noWaits = !c.waits() // as executor.start sets it
	b.ReportAllocs()
	b.ResetTimer()
	x.loop(ctx, c, 0)
	b.StopTimer()
	st.Tick(time.Now(), 0)
	if got := st.Snapshot(time.Now(), 0).Total.Requests; got != uint64(b.N) {
		b.Fatalf("recorded %d of %d", got, b.N)
	}
}
