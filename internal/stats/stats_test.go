package stats

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestConcurrentRecordingIsExact(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 4})
	const users, perUser = 16, 2000
	var wg sync.WaitGroup
	done := make(chan struct{})
	// Drain concurrently with the recorders, as the runner does.
	var tickWG sync.WaitGroup
	tickWG.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			default:
				s.Tick(t0.Add(time.Duration(i)*time.Millisecond), users)
			}
		}
	})
	for u := range users {
		wg.Go(func() {
			sh := s.Shard(u)
			for i := range perUser {
				fail := ""
				if i%10 == 0 {
					fail = "HTTP 500"
				}
				sh.Record("GET", fmt.Sprintf("/p/%d", i%3), time.Duration(i)*time.Microsecond, 100, fail)
			}
			sh.RecordError("boom", "task", "trace")
		})
	}
	wg.Wait()
	close(done)
	tickWG.Wait()
	s.Tick(t0.Add(10*time.Second), users)
	snap := s.Snapshot(t0.Add(10*time.Second), users)

	if got, want := snap.Total.Requests, uint64(users*perUser); got != want {
		t.Fatalf("total requests = %d, want %d", got, want)
	}
	if got, want := snap.Total.Failures, uint64(users*perUser/10); got != want {
		t.Errorf("total failures = %d, want %d", got, want)
	}
	if got, want := snap.Total.TotalSize, uint64(users*perUser*100); got != want {
		t.Errorf("total size = %d, want %d", got, want)
	}
	if len(snap.Entries) != 3 {
		t.Fatalf("entries = %d, want 3", len(snap.Entries))
	}
	var sum uint64
	for _, e := range snap.Entries {
		sum += e.Requests
	}
	if sum != snap.Total.Requests {
		t.Errorf("entries sum to %d, total is %d", sum, snap.Total.Requests)
	}
	var fails uint64
	for _, f := range snap.Failures {
		fails += f.Occurrences
	}
	if fails != snap.Total.Failures {
		t.Errorf("failure table sums to %d, total failures %d", fails, snap.Total.Failures)
	}
	if len(snap.Errors) != 1 || snap.Errors[0].Count != users {
		t.Errorf("errors = %+v, want one row counting %d", snap.Errors, users)
	}
	if snap.Total.RPS != float64(users*perUser)/10 {
		t.Errorf("RPS = %v", snap.Total.RPS)
	}
}

func TestCurrentRatesWindow(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 1})
	sh := s.Shard(0)
	// 20 seconds at 5 req/s, then 10 seconds at 50 req/s with 10 failures/s.
	now := t0
	for sec := range 30 {
		n, f := 5, 0
		if sec >= 20 {
			n, f = 50, 10
		}
		for i := range n {
			fail := ""
			if i < f {
				fail = "x"
			}
			sh.Record("GET", "/", time.Millisecond, 0, fail)
		}
		now = now.Add(time.Second)
		rows := s.Tick(now, 1)
		if len(rows) != 1 || rows[0].Name != TotalName {
			t.Fatalf("rows = %+v, want the total only", rows)
		}
	}
	snap := s.Snapshot(now, 1)
	e := snap.Entries[0]
	if e.CurrentRPS != 50 || e.CurrentFailPerSec != 10 {
		t.Errorf("current rates = %v/%v, want 50/10", e.CurrentRPS, e.CurrentFailPerSec)
	}
	if want := float64(20*5+10*50) / 30; e.RPS != want {
		t.Errorf("RPS = %v, want %v", e.RPS, want)
	}
	if !e.LastRequest.Equal(now) {
		t.Errorf("last request %v, want %v", e.LastRequest, now)
	}
}

func TestWindowPercentilesAndFullHistory(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 2, FullHistory: true})
	now := t0
	var rows []HistoryRow
	// 15 s of 100 ms requests, then 10 s of 1 ms ones: the window forgets the slow ones.
	for sec := range 25 {
		d := 100 * time.Millisecond
		if sec >= 15 {
			d = time.Millisecond
		}
		s.Shard(sec).Record("GET", "/a", d, 10, "")
		s.Shard(sec+1).Record("POST", "/b", d, 10, "")
		now = now.Add(time.Second)
		rows = s.Tick(now, 7)
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %d, want 2 entries and the total", len(rows))
	}
	for _, r := range rows {
		if r.CurrentPercentiles == nil || r.CurrentPercentiles[len(r.CurrentPercentiles)-1] != time.Millisecond {
			t.Errorf("%s %s: current percentiles %v, want all 1ms", r.Method, r.Name, r.CurrentPercentiles)
		}
		if r.Max != 100*time.Millisecond || r.Users != 7 {
			t.Errorf("%s %s: max %v users %d", r.Method, r.Name, r.Max, r.Users)
		}
	}
	if rows[2].Name != TotalName || rows[2].Requests != 50 || rows[2].AvgSize != 10 {
		t.Errorf("total row = %+v", rows[2])
	}
	// An idle window has no current percentiles.
	for range windowTicks {
		now = now.Add(time.Second)
		rows = s.Tick(now, 7)
	}
	if rows[2].CurrentPercentiles != nil || rows[2].CurrentRPS != 0 {
		t.Errorf("idle window: %+v", rows[2])
	}
}

func TestTablesAreBounded(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 1})
	sh := s.Shard(0)
	for i := range MaxFailureKinds + 500 {
		sh.Record("GET", "/", time.Millisecond, 0, fmt.Sprintf("error %d", i))
		sh.RecordError(fmt.Sprintf("user error %d", i), "task", "trace")
	}
	s.Tick(t0.Add(time.Second), 1)
	snap := s.Snapshot(t0.Add(time.Second), 1)
	if len(snap.Failures) != MaxFailureKinds+1 {
		t.Errorf("failure kinds = %d, want %d", len(snap.Failures), MaxFailureKinds+1)
	}
	if snap.Failures[0].Error != OverflowMessage || snap.Failures[0].Occurrences != 500 {
		t.Errorf("overflow row = %+v", snap.Failures[0])
	}
	if len(snap.Errors) != MaxErrorKinds+1 || snap.Errors[0].Message != OverflowMessage {
		t.Errorf("error kinds = %d, first %+v", len(snap.Errors), snap.Errors[0])
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 2})
	s.Shard(0).Record("GET", "/", time.Millisecond, 0, "x")
	s.Shard(1).RecordError("e", "o", "t")
	s.Tick(t0.Add(time.Second), 1)
	s.Shard(1).Record("GET", "/", time.Millisecond, 0, "") // not yet drained
	later := t0.Add(2 * time.Second)
	s.Reset(later)
	s.Tick(later.Add(time.Second), 1)
	snap := s.Snapshot(later.Add(time.Second), 1)
	if snap.Total.Requests != 0 || len(snap.Entries) != 0 || len(snap.Failures) != 0 || len(snap.Errors) != 0 {
		t.Errorf("after reset: %+v", snap)
	}
	if !snap.Start.Equal(later) || snap.Duration != time.Second {
		t.Errorf("start %v duration %v", snap.Start, snap.Duration)
	}
}

func BenchmarkRecord(b *testing.B) {
	s := New(t0, Options{})
	sh := s.Shard(0)
	b.ReportAllocs()
	for b.Loop() {
		sh.Record("GET", "/api/products/{id}", 12*time.Millisecond, 512, "")
	}
}

// BenchmarkRecordParallel records from every P into its own shard, as users do.
func BenchmarkRecordParallel(b *testing.B) {
	s := New(t0, Options{})
	var next sync.Mutex
	n := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		sh := s.Shard(n)
		n++
		next.Unlock()
		for pb.Next() {
			sh.Record("GET", "/api/products/{id}", 12*time.Millisecond, 512, "")
		}
	})
}

// BenchmarkRecordWhileTicking measures recording while the drain runs.
func BenchmarkRecordWhileTicking(b *testing.B) {
	s := New(t0, Options{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tk.C:
				s.Tick(now, 1)
			}
		}
	})
	sh := s.Shard(0)
	b.ReportAllocs()
	for b.Loop() {
		sh.Record("GET", "/api/products/{id}", 12*time.Millisecond, 512, "")
	}
	close(stop)
	wg.Wait()
}
