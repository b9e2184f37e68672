package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/stats"
)

// runWorkers runs -workers herd workers against -master until it tells
// them to quit.
func runWorkers(ctx context.Context) error {
	if *master == "" {
		return errors.New("-master is required")
	}
	began := time.Now()
	bases := baseDeltas(8, *endpoints)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for i := range *workers {
		n := *first + i
		wg.Go(func() {
			local := &fakeLocal{base: bases[n%len(bases)], last: time.Now()}
			err := cluster.RunWorker(ctx, cluster.WorkerOptions{Master: *master,
				NodeID: fmt.Sprintf("bench-w%05d", n), Logger: slog.New(slog.DiscardHandler)}, local)
			if err != nil {
				mu.Lock()
				failed = append(failed, fmt.Errorf("worker %d: %w", n, err))
				mu.Unlock()
			}
		})
		// Workers start over -spread, as pods of a deployment do.
		time.Sleep(*spread / time.Duration(*workers))
	}
	wg.Wait()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		fmt.Fprintf(os.Stderr, "# workers %d–%d: CPU %.1f s over %.1f s\n", *first, *first+*workers-1,
			time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Seconds(), time.Since(began).Seconds())
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d workers failed, first: %w", len(failed), *workers, failed[0])
	}
	return nil
}

// baseDeltas records k sets of statistics of names request names, 30
// requests each (~10 requests/s over a 3 s report), with an error rate of
// 1% on one name: what workers report.
func baseDeltas(k, names int) []*stats.Delta {
	out := make([]*stats.Delta, k)
	r := rand.New(rand.NewPCG(14, 1000))
	start := time.Now()
	for i := range out {
		st := stats.New(start, stats.Options{Shards: 1})
		for e := range names {
			name := fmt.Sprintf("/api/v1/resource/%d/items", e)
			for j := range 30 {
				fail := ""
				if e == 0 && j%10 == 0 {
					fail = "HTTP 500 Internal Server Error"
				}
				st.Shard(0).Record("GET", name, time.Duration(r.ExpFloat64()*float64(30*time.Millisecond)), 2048, fail)
			}
		}
		out[i] = st.TakeDelta(start.Add(3 * time.Second))
	}
	return out
}

// fakeLocal is a worker's runner whose users do nothing but report base
// every time: a spawn takes no time, so what is measured is the protocol.
type fakeLocal struct {
	base *stats.Delta // shared by workers: read only

	mu     sync.Mutex
	counts map[string]int
	last   time.Time
}

func (f *fakeLocal) Apply(counts map[string]int, host string, stopTimeout time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = maps.Clone(counts)
}

func (f *fakeLocal) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.counts {
		f.counts[k] = 0
	}
}

func (f *fakeLocal) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{"U": 0}
	maps.Copy(out, f.counts)
	return out
}

// TakeDelta reports base while users run, nothing otherwise.
func (f *fakeLocal) TakeDelta(now time.Time) *stats.Delta {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := &stats.Delta{Start: f.last, End: now}
	f.last = now
	running := 0
	for _, n := range f.counts {
		running += n
	}
	if running == 0 {
		return d
	}
	d.Entries = slices.Clone(f.base.Entries)
	for i := range d.Entries {
		d.Entries[i].LastRequest = now
	}
	d.Failures = f.base.Failures
	return d
}

func (f *fakeLocal) Classes() []cluster.Class { return []cluster.Class{{Name: "U", Weight: 1}} }
