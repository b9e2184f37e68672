package stats

import (
	"math"
	"testing"
	"time"
)

func TestQuantileOf(t *testing.T) {
	t.Parallel()
	// One value per element of Percentiles: 0.50 → 50 ms … 1.0 → 100 ms.
	ms := time.Millisecond
	ps := []time.Duration{50 * ms, 66 * ms, 75 * ms, 80 * ms, 90 * ms, 95 * ms, 98 * ms, 99 * ms, 99900 * time.Microsecond, 99990 * time.Microsecond, 100 * ms}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.95, 95 * time.Millisecond},
		{0.5, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 99900 * time.Microsecond},
		{0.9999, 99990 * time.Microsecond},
		{1 - 1e-4, 99990 * time.Microsecond}, // 0.9999 whatever the arithmetic
		{1, 100 * time.Millisecond},
		{2, 100 * time.Millisecond},
		{0.25, 50 * time.Millisecond},  // below the median: the median bounds it
		{0.85, 90 * time.Millisecond},  // between two: the next one up
		{0.951, 98 * time.Millisecond}, // just past one: the next one up
		{0, time.Millisecond},          // the fastest
		{-1, time.Millisecond},
		{math.NaN(), 0},
	}
	for _, tt := range tests {
		if got := QuantileOf(ps, time.Millisecond, tt.q); got != tt.want {
			t.Errorf("QuantileOf(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := QuantileOf(nil, time.Millisecond, 0.5); got != 0 {
		t.Errorf("no percentiles (an empty entry): %v, want 0", got)
	}
}

// Entry.Percentile over a real snapshot: 1 to 1,000 ms, once each.
func TestEntryPercentile(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 1})
	for i := 1; i <= 1000; i++ {
		s.Shard(0).RecordIntended("GET", "/", time.Duration(i)*time.Millisecond, time.Duration(2*i)*time.Millisecond, 0, "")
	}
	s.Tick(t0.Add(time.Second), 1)
	e := s.Snapshot(t0.Add(time.Second), 1).Total
	for q, want := range map[float64]time.Duration{0: time.Millisecond, 0.5: 500 * time.Millisecond, 0.95: 950 * time.Millisecond, 0.99: 990 * time.Millisecond, 1: time.Second} {
		if got := e.Percentile(q); math.Abs(float64(got-want)) > 0.008*float64(want) {
			t.Errorf("Percentile(%v) = %v, want %v within 0.8%%", q, got, want)
		}
		if got := e.Intended.Percentile(q); math.Abs(float64(got-2*want)) > 0.008*float64(2*want) {
			t.Errorf("Intended.Percentile(%v) = %v, want %v within 0.8%%", q, got, 2*want)
		}
	}
}
