package stats

import (
	"testing"
	"time"
)

// Open-model requests keep two timings apart: service time in the usual
// fields, time from the intended start in Intended, and both survive a
// worker's delta reaching a master.
func TestIntendedTiming(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 2})
	for i := range 100 {
		late := time.Duration(0)
		if i >= 90 {
			late = time.Second // ten iterations began a second late
		}
		s.Shard(i).RecordIntended("GET", "/", 10*time.Millisecond, 10*time.Millisecond+late, 1, "")
	}
	s.Shard(0).Record("GET", "/closed", time.Millisecond, 1, "")
	rows := s.Tick(t0.Add(time.Second), 1)
	snap := s.Snapshot(t0.Add(time.Second), 1)

	e := snap.Entries[0]
	if e.Name != "/" || e.Intended == nil {
		t.Fatalf("entry %+v: want / with intended timing", e)
	}
	if e.Percentiles[len(e.Percentiles)-1] > 11*time.Millisecond {
		t.Errorf("service max = %v, want ~10ms", e.Max)
	}
	if p95 := e.Intended.Percentiles[5]; p95 < time.Second {
		t.Errorf("intended p95 = %v, want >= 1s (the stall)", p95)
	}
	if e.Intended.Median > 11*time.Millisecond {
		t.Errorf("intended median = %v, want ~10ms", e.Intended.Median)
	}
	if snap.Entries[1].Intended != nil {
		t.Errorf("closed-model entry has intended timing %+v", snap.Entries[1].Intended)
	}
	if total := rows[len(rows)-1]; total.CurrentIntended == nil || total.CurrentIntended[5] < time.Second {
		t.Errorf("total history row current intended = %v, want p95 >= 1s", total.CurrentIntended)
	}

	// A worker's delta carries the intended histogram to its master.
	w := New(t0, Options{Shards: 1})
	w.Shard(0).RecordIntended("GET", "/", time.Millisecond, 2*time.Second, 1, "")
	d := w.TakeDelta(t0.Add(3 * time.Second))
	if d.Entries[0].Intended == nil {
		t.Fatal("delta without intended histogram")
	}
	m := New(t0, Options{})
	m.Merge(d, "w1")
	m.Tick(t0.Add(3*time.Second), 1)
	if got := m.Snapshot(t0.Add(3*time.Second), 1).Total.Intended; got == nil || got.Max < 2*time.Second {
		t.Errorf("master total intended = %+v, want max 2s", got)
	}
}
