package stats

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestDeltasMergeExactly records the same requests into one Stats and,
// split over three "workers" that report deltas now and then, into a
// master: every figure must be identical.
func TestDeltasMergeExactly(t *testing.T) {
	t.Parallel()
	single := New(t0, Options{Shards: 2})
	master := New(t0, Options{Shards: 1})
	workers := []*Stats{New(t0, Options{Shards: 2}), New(t0, Options{Shards: 2}), New(t0, Options{Shards: 2})}
	r := rand.New(rand.NewPCG(1, 1))
	now := t0
	for step := range 300 {
		for i := range 50 {
			d := time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
			name := fmt.Sprintf("/p/%d", i%7)
			fail := ""
			if r.IntN(20) == 0 {
				fail = "HTTP 500"
			}
			w := r.IntN(len(workers))
			single.Shard(i).Record("GET", name, d, 100, fail)
			workers[w].Shard(i).Record("GET", name, d, 100, fail)
			if i == 0 && step%10 == 0 {
				single.Shard(0).RecordError("boom", "task", "trace")
				workers[w].Shard(0).RecordError("boom", "task", "trace")
			}
		}
		now = now.Add(10 * time.Millisecond)
		if step%30 == 29 { // every worker reports
			for i, w := range workers {
				master.Merge(w.TakeDelta(now), fmt.Sprintf("w%d", i))
			}
		}
	}
	for i, w := range workers {
		master.Merge(w.TakeDelta(now), fmt.Sprintf("w%d", i))
	}
	single.Tick(now, 0)
	master.Tick(now, 0)
	a, b := single.Snapshot(now, 0), master.Snapshot(now, 0)
	if len(a.Entries) != len(b.Entries) {
		t.Fatalf("entries %d vs %d", len(a.Entries), len(b.Entries))
	}
	for i := range a.Entries {
		x, y := a.Entries[i], b.Entries[i]
		x.CurrentRPS, y.CurrentRPS, x.CurrentFailPerSec, y.CurrentFailPerSec = 0, 0, 0, 0
		x.LastRequest, y.LastRequest = time.Time{}, time.Time{}
		if fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("entry differs:\n single %+v\n merged %+v", x, y)
		}
	}
	if fmt.Sprint(a.Total.Percentiles) != fmt.Sprint(b.Total.Percentiles) || a.Total.Requests != b.Total.Requests {
		t.Errorf("totals differ: %v vs %v", a.Total, b.Total)
	}
	if fmt.Sprint(a.Failures) != fmt.Sprint(b.Failures) {
		t.Errorf("failures differ:\n%v\n%v", a.Failures, b.Failures)
	}
	if len(b.Errors) != 1 || b.Errors[0].Count != a.Errors[0].Count || len(b.Errors[0].Nodes) == 0 {
		t.Errorf("errors: %+v vs %+v", a.Errors, b.Errors)
	}
}

// TestTakeDeltaLosesNothing records concurrently with deltas being taken.
func TestTakeDeltaLosesNothing(t *testing.T) {
	t.Parallel()
	w := New(t0, Options{Shards: 4})
	master := New(t0, Options{Shards: 1})
	var wg sync.WaitGroup
	for u := range 8 {
		wg.Go(func() {
			for range 5000 {
				w.Shard(u).Record("GET", "/", time.Millisecond, 1, "")
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		master.Merge(w.TakeDelta(time.Now()), "w")
	}
	master.Merge(w.TakeDelta(time.Now()), "w")
	master.Tick(time.Now(), 0)
	if got := master.Snapshot(time.Now(), 0).Total.Requests; got != 8*5000 {
		t.Errorf("merged %d requests, want %d", got, 8*5000)
	}
}

// TestMergedRatesAreSteady: a worker reports every 3 s while the master
// ticks every second; the master's current rate must stay at the worker's
// steady 100 requests a second, not jump with each report.
func TestMergedRatesAreSteady(t *testing.T) {
	t.Parallel()
	master := New(t0, Options{Shards: 1})
	worker := New(t0, Options{Shards: 1})
	now := t0
	for sec := 1; sec <= 40; sec++ {
		for range 100 {
			worker.Shard(0).Record("GET", "/", time.Millisecond, 0, "")
		}
		now = t0.Add(time.Duration(sec) * time.Second)
		if sec%3 == 0 {
			master.Merge(worker.TakeDelta(now), "w")
		}
		master.Tick(now.Add(10*time.Millisecond), 1) // ticks just after reports, as they interleave
		if sec >= 15 {
			rps := master.Snapshot(now, 1).Total.CurrentRPS
			if rps < 85 || rps > 115 {
				t.Errorf("second %d: current rate %.1f/s, want about 100", sec, rps)
			}
		}
	}
	if got := master.Snapshot(now, 1).Total.Requests; got != 3900 {
		t.Errorf("total %d, want 3900", got)
	}
}
