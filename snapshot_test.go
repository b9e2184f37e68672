package herd

import (
	"reflect"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// Every field of the internal statistics reaches user code: a field added
// to stats.Snapshot or its parts fails here until the public types (and
// newStatsSnapshot) have it too.
func TestStatsTypesMirrorTheInternalOnes(t *testing.T) {
	t.Parallel()
	for _, p := range []struct{ internal, public reflect.Type }{
		{reflect.TypeFor[stats.Snapshot](), reflect.TypeFor[StatsSnapshot]()},
		{reflect.TypeFor[stats.Entry](), reflect.TypeFor[StatsEntry]()},
		{reflect.TypeFor[stats.Timing](), reflect.TypeFor[StatsTiming]()},
		{reflect.TypeFor[stats.Failure](), reflect.TypeFor[StatsFailureRow]()},
		{reflect.TypeFor[stats.Error](), reflect.TypeFor[StatsErrorRow]()},
	} {
		if p.internal.NumField() != p.public.NumField() {
			t.Errorf("%v has %d fields, %v %d", p.internal, p.internal.NumField(), p.public, p.public.NumField())
		}
		for f := range p.internal.Fields() {
			name := f.Name
			if name == "Percentiles" {
				name = "percentiles" // read through Percentile(q)
			}
			if _, ok := p.public.FieldByName(name); !ok {
				t.Errorf("%v.%s has no counterpart in %v", p.internal, f.Name, p.public)
			}
		}
	}
}

func TestNewStatsSnapshot(t *testing.T) {
	t.Parallel()
	if newStatsSnapshot(nil) != nil {
		t.Error("nil snapshot converted to non-nil")
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ps := func(base time.Duration) []time.Duration {
		out := make([]time.Duration, len(stats.Percentiles))
		for i := range out {
			out[i] = base + time.Duration(i)*time.Millisecond
		}
		return out
	}
	entry := stats.Entry{Method: "GET", Name: "/a", Requests: 10, Failures: 2,
		Min: 1, Max: 2, Mean: 3, Median: 4, Percentiles: ps(time.Second), TotalSize: 5,
		RPS: 6, FailPerSec: 7, CurrentRPS: 8, CurrentFailPerSec: 9, LastRequest: t0,
		Intended: &stats.Timing{Min: 11, Max: 12, Mean: 13, Median: 14, Percentiles: ps(2 * time.Second)}}
	in := &stats.Snapshot{Time: t0.Add(time.Minute), Start: t0, Duration: time.Minute, Users: 3,
		Entries: []stats.Entry{entry}, Total: stats.Entry{Name: stats.TotalName, Requests: 10, Percentiles: ps(3 * time.Second)},
		Failures:   []stats.Failure{{Method: "GET", Name: "/a", Error: "HTTP 500", Occurrences: 2}},
		Errors:     []stats.Error{{Message: "boom", Trace: "t", Count: 1, Nodes: []string{"w1"}}},
		Iterations: 21, Dropped: 22}
	want := &StatsSnapshot{Time: t0.Add(time.Minute), Start: t0, Duration: time.Minute, Users: 3,
		Entries: []StatsEntry{{Method: "GET", Name: "/a", Requests: 10, Failures: 2,
			Min: 1, Max: 2, Mean: 3, Median: 4, percentiles: ps(time.Second), TotalSize: 5,
			RPS: 6, FailPerSec: 7, CurrentRPS: 8, CurrentFailPerSec: 9, LastRequest: t0,
			Intended: &StatsTiming{Min: 11, Max: 12, Mean: 13, Median: 14, percentiles: ps(2 * time.Second)}}},
		Total:      StatsEntry{Name: stats.TotalName, Requests: 10, percentiles: ps(3 * time.Second)},
		Failures:   []StatsFailureRow{{Method: "GET", Name: "/a", Error: "HTTP 500", Occurrences: 2}},
		Errors:     []StatsErrorRow{{Message: "boom", Trace: "t", Count: 1, Nodes: []string{"w1"}}},
		Iterations: 21, Dropped: 22}
	got := newStatsSnapshot(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("newStatsSnapshot =\n %+v\nwant\n %+v", got, want)
	}
	// A copy: user code may keep or change it without touching the reports'.
	got.Entries[0].percentiles[0] = 0
	got.Errors[0].Nodes[0] = "x"
	if in.Entries[0].Percentiles[0] != time.Second || in.Errors[0].Nodes[0] != "w1" {
		t.Error("the public snapshot shares memory with the internal one")
	}
	e := got.Entries[0]
	if e.Percentile(0.95) != time.Second+5*time.Millisecond || e.Intended.Percentile(1) != 2*time.Second+10*time.Millisecond || e.Percentile(0) != 1 {
		t.Errorf("Percentile(0.95) = %v, Intended.Percentile(1) = %v, Percentile(0) = %v", e.Percentile(0.95), e.Intended.Percentile(1), e.Percentile(0))
	}
	if e.FailRatio() != 0.2 || e.AvgSize() != 0.5 || (StatsEntry{}).FailRatio() != 0 || (StatsEntry{}).AvgSize() != 0 || (StatsEntry{}).Percentile(0.5) != 0 {
		t.Errorf("FailRatio %v, AvgSize %v", e.FailRatio(), e.AvgSize())
	}
}
