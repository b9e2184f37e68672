package cluster

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// fakeLocal is a worker's runner that records one request per user each
// time its statistics are taken.
type fakeLocal struct {
	mu       sync.Mutex
	counts   map[string]int
	host     string
	st       *stats.Stats
	produced atomic.Int64
	stops    atomic.Int64
}

func newFakeLocal() *fakeLocal {
	return &fakeLocal{counts: map[string]int{"Shopper": 0, "Browser": 0}, st: stats.New(time.Now(), stats.Options{Shards: 1})}
}

func (f *fakeLocal) Apply(counts map[string]int, host string, _ time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.counts {
		f.counts[k] = counts[k]
	}
	f.host = host
}

func (f *fakeLocal) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.counts {
		f.counts[k] = 0
	}
	f.stops.Add(1)
}

func (f *fakeLocal) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

func (f *fakeLocal) TakeDelta(now time.Time) *stats.Delta {
	n := sum(f.Counts())
	for range n {
		f.st.Shard(0).Record("GET", "/", 5*time.Millisecond, 10, "")
	}
	f.produced.Add(int64(n))
	return f.st.TakeDelta(now)
}

func (f *fakeLocal) Classes() []Class {
	return []Class{{Name: "Shopper", Weight: 3}, {Name: "Browser", Weight: 1}}
}

func TestMasterAndWorkers(t *testing.T) {
	t.Parallel()
	merged := stats.New(time.Now(), stats.Options{Shards: 1})
	m, err := StartMaster(context.Background(), MasterOptions{Bind: "tcp://127.0.0.1:0",
		OnDelta: func(d *stats.Delta, node string) { merged.Merge(d, node) }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	master := "tcp://127.0.0.1:" + itoa(m.Port())

	locals := []*fakeLocal{newFakeLocal(), newFakeLocal()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, len(locals))
	for _, l := range locals {
		go func() {
			errs <- RunWorker(ctx, WorkerOptions{Master: master, ReportEvery: 200 * time.Millisecond,
				HeartbeatEvery: 100 * time.Millisecond}, l)
		}()
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := m.WaitForWorkers(wctx, 2); err != nil {
		t.Fatal(err)
	}
	// Classes (and weights) are learnt from the workers' first reports.
	poll(t, "classes learnt", func() bool { return len(m.Classes()) == 2 })

	done := make(chan int, 1)
	if err := m.Start(8, 100, "http://target", 0, func(n int) { done <- n }); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n != 8 {
			t.Errorf("ramp done at %d users", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the ramp never completed")
	}
	if c := m.CountsByType(); c["Shopper"] != 6 || c["Browser"] != 2 {
		t.Errorf("counts by type %v, want Shopper 6, Browser 2 (weights 3:1)", c)
	}
	for _, l := range locals {
		if got := sum(l.Counts()); got != 4 || l.host != "http://target" {
			t.Errorf("worker runs %d users against %q, want 4 against http://target", got, l.host)
		}
	}
	ws := m.Workers()
	if len(ws) != 2 || ws[0].Index != 0 || ws[1].Index != 1 {
		t.Errorf("workers %+v", ws)
	}
	// Statistics flow in.
	poll(t, "merged requests", func() bool {
		merged.Tick(time.Now(), 0)
		return merged.Snapshot(time.Now(), 0).Total.Requests > 0
	})
	if left := m.Stop(5 * time.Second); left != 0 {
		t.Errorf("%d users left after stop", left)
	}
	for _, l := range locals {
		if l.stops.Load() == 0 {
			t.Error("a worker never stopped its users")
		}
	}
	// Workers register again after a stop, and a new test starts.
	poll(t, "workers ready again", func() bool {
		ws := m.Workers()
		return len(ws) == 2 && ws[0].State == "ready" && ws[1].State == "ready"
	})
	m.Quit(5 * time.Second)
	for range locals {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("worker ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a worker did not quit")
		}
	}
	merged.Tick(time.Now(), 0)
	var produced int64
	for _, l := range locals {
		produced += l.produced.Load()
	}
	if got := merged.Snapshot(time.Now(), 0).Total.Requests; got != uint64(produced) {
		t.Errorf("master merged %d requests, workers produced %d", got, produced)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
