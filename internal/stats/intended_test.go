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
	// The recorded times are exact; percentiles come from histogram
	// buckets, within 1/128 of the value (Percentiles[5] is the p95).
	if got := e.Percentiles[len(e.Percentiles)-1]; e.Max != 10*time.Millisecond || !nearTime(got, 10*time.Millisecond) {
		t.Errorf("service max = %v, p100 %v, want 10ms", e.Max, got)
	}
	if p95 := e.Intended.Percentiles[5]; !nearTime(p95, 1010*time.Millisecond) {
		t.Errorf("intended p95 = %v, want 1.01s (the stall)", p95)
	}
	if !nearTime(e.Intended.Median, 10*time.Millisecond) {
		t.Errorf("intended median = %v, want 10ms", e.Intended.Median)
	}
	if snap.Entries[1].Intended != nil {
		t.Errorf("closed-model entry has intended timing %+v", snap.Entries[1].Intended)
	}
	if total := rows[len(rows)-1]; total.CurrentIntended == nil || !nearTime(total.CurrentIntended[5], 1010*time.Millisecond) {
		t.Errorf("total history row current intended = %v, want p95 1.01s", total.CurrentIntended)
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
	if got := m.Snapshot(t0.Add(3*time.Second), 1).Total.Intended; got == nil || got.Max != 2*time.Second {
		t.Errorf("master total intended = %+v, want max 2s", got)
	}
}

// nearTime reports whether got is want as a histogram bucket gives it back:
// within 1/128 of it.
func nearTime(got, want time.Duration) bool {
	d := got - want
	return max(d, -d) <= want/128
}
