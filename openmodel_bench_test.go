package herd_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
)

type fastGetter struct{ herd.FastHTTPUser }

func (u *fastGetter) Tasks() []herd.Task {
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }}}
}

// BenchmarkArrivalRateAccuracy runs a 10 s open-model run at 2,000
// iterations/s in one process against a fast local target and reports the
// achieved rate (requests the target saw per second of schedule) and its
// error against the target. A benchmark, not a test: it proves a claim and
// never runs in CI.
//
//	go test -run '^$' -bench ArrivalRateAccuracy -benchtime 1x .
func BenchmarkArrivalRateAccuracy(b *testing.B) {
	var seen atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.Write([]byte("ok"))
	}))
	defer ts.Close()
	const rate, secs = 2000, 10
	test := &herd.Test{Users: []*herd.UserType{{Name: "Get", New: func() herd.User { return new(fastGetter) }}}}
	for b.Loop() {
		seen.Store(0)
		var iterations, dropped uint64
		test.Events = herd.Events{}
		test.Events.OnQuitting(func(q *herd.Quit) { iterations, dropped = q.Stats.Iterations, q.Stats.Dropped })
		start := time.Now()
		code := mainRun(test, context.Background(), herd.Env{Args: []string{"--headless", "--only-summary",
			"-H", ts.URL, "-u", "50", "--arrival-rate", "stages:start=2000,10s:2000"}})
		if code != herd.ExitOK {
			b.Fatalf("exit %d", code)
		}
		took := time.Since(start)
		want := float64(rate * secs)
		b.ReportMetric(float64(seen.Load())/secs, "req/s")
		b.ReportMetric(100*(float64(seen.Load())-want)/want, "%error")
		b.ReportMetric(float64(dropped), "dropped")
		b.ReportMetric(took.Seconds(), "s/run")
		_ = iterations
	}
}
