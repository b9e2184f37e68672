package stats

import (
	"fmt"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/histogram"
)

// Requests interrupted at the stop are failures in every table, counted
// apart per entry, kept apart even past the failure-kind cap, and left out
// of the failures the observer (thresholds) sees, locally and merged.
func TestInterruptedCountedApart(t *testing.T) {
	t.Parallel()
	type seen struct{ requests, failures uint64 }
	for _, merged := range []bool{false, true} {
		t.Run(fmt.Sprint("merged=", merged), func(t *testing.T) {
			t.Parallel()
			src := New(t0, Options{Shards: 1})
			sh := src.Shard(0)
			for i := range MaxFailureKinds + 10 { // fill the failure kinds first
				sh.Record("GET", "/a", time.Millisecond, 0, fmt.Sprintf("error %d", i))
			}
			for range 3 {
				sh.Record("GET", "/a", 2*time.Second, 0, failure.InterruptedMessage)
				sh.Record("GET", "/b", time.Second, 0, failure.InterruptedMessage)
			}
			sh.Record("GET", "/b", time.Millisecond, 0, "")

			dst, obs := src, map[Key]seen{}
			if merged {
				dst = New(t0, Options{Shards: 1})
			}
			dst.SetObserver(func(k Key, requests, failures uint64, _ *histogram.Histogram) {
				s := obs[k]
				obs[k] = seen{s.requests + requests, s.failures + failures}
			})
			if merged {
				dst.Merge(src.TakeDelta(t0.Add(time.Second)), "w1")
			}
			dst.Tick(t0.Add(time.Second), 1)
			snap := dst.Snapshot(t0.Add(time.Second), 1)
			byName := map[string]Entry{}
			for _, e := range snap.Entries {
				byName[e.Name] = e
			}
			if a := byName["/a"]; a.Failures != MaxFailureKinds+13 || a.Interrupted != 3 {
				t.Errorf("/a: %d failures, %d interrupted", a.Failures, a.Interrupted)
			}
			if b := byName["/b"]; b.Requests != 4 || b.Failures != 3 || b.Interrupted != 3 || b.Max != time.Second {
				t.Errorf("/b: %+v", b)
			}
			if snap.Total.Interrupted != 6 {
				t.Errorf("total interrupted %d", snap.Total.Interrupted)
			}
			if got := obs[Key{"GET", "/b"}]; got != (seen{4, 0}) {
				t.Errorf("the observer saw /b as %+v, want 4 requests, 0 failures", got)
			}
			if got := obs[Key{"GET", "/a"}]; got != (seen{MaxFailureKinds + 13, MaxFailureKinds + 10}) {
				t.Errorf("the observer saw /a as %+v", got)
			}
		})
	}
}
