package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// workerDelta records a known mix into a worker's stats and takes its delta.
func workerDelta(t *testing.T) (*stats.Delta, *stats.Stats) {
	t.Helper()
	w := stats.New(t0, stats.Options{Shards: 2})
	single := stats.New(t0, stats.Options{Shards: 1})
	r := rand.New(rand.NewPCG(4, 2))
	for i := range 2000 {
		d := time.Duration(r.ExpFloat64() * float64(40*time.Millisecond))
		name := fmt.Sprintf("/item/%d", i%5)
		fail := ""
		if i%50 == 0 {
			fail = "HTTP 503 Service Unavailable"
		}
		w.Shard(i).Record("GET", name, d, 321, fail)
		single.Shard(0).Record("GET", name, d, 321, fail)
	}
	w.Shard(0).RecordError("panic: boom", "main.task", "main.task(…)\n\tmain.go:12")
	single.Shard(0).RecordError("panic: boom", "main.task", "main.task(…)\n\tmain.go:12")
	return w.TakeDelta(t0.Add(3 * time.Second)), single
}

// fromReport reads r as a master does: encoded, then through an intake of
// its own (so the delta stays valid).
func fromReport(r wire.StatsReport, now time.Time) (*stats.Delta, []Class, error) {
	data, err := r.MarshalData()
	if err != nil {
		return nil, nil, err
	}
	var in intake
	d, info, err := in.read(data, now)
	return d, info.classes, err
}

// roundTrip sends a report through the real encoding, as on the wire.
func roundTrip(t *testing.T, r wire.StatsReport) wire.StatsReport {
	t.Helper()
	frame, err := wire.EncodePayload("vm_0123", r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	back, err := wire.DecodeStatsReport(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestHerdReportsAreExact(t *testing.T) {
	t.Parallel()
	d, single := workerDelta(t)
	r, err := toReport(d, map[string]int{"Shopper": 3, "Idle": 0}, []Class{{Name: "Shopper", Weight: 3}})
	if err != nil {
		t.Fatal(err)
	}
	back, classes, err := fromReport(roundTrip(t, r), t0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(classes) != 1 || classes[0].Weight != 3 {
		t.Errorf("classes %+v", classes)
	}
	master := stats.New(t0, stats.Options{Shards: 1})
	master.Merge(back, "w1")
	now := t0.Add(3 * time.Second)
	master.Tick(now, 0)
	single.Tick(now, 0)
	a, b := single.Snapshot(now, 0), master.Snapshot(now, 0)
	if fmt.Sprint(a.Total.Percentiles) != fmt.Sprint(b.Total.Percentiles) || a.Total.Requests != b.Total.Requests ||
		a.Total.Mean != b.Total.Mean || a.Total.TotalSize != b.Total.TotalSize {
		t.Errorf("merged total differs:\n single %+v\n merged %+v", a.Total, b.Total)
	}
	if fmt.Sprint(a.Failures) != fmt.Sprint(b.Failures) {
		t.Errorf("failures differ: %v vs %v", a.Failures, b.Failures)
	}
	if len(b.Errors) != 1 || b.Errors[0].Trace != a.Errors[0].Trace || b.Errors[0].Nodes[0] != "w1" {
		t.Errorf("errors: %+v", b.Errors)
	}
}

// TestLocustReportsAreClose drops the herd extension, as a Locust worker's
// report has none: counts stay exact, percentiles follow Locust's rounding.
func TestLocustReportsAreClose(t *testing.T) {
	t.Parallel()
	d, single := workerDelta(t)
	r, err := toReport(d, map[string]int{"Shopper": 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Extra = nil
	back, _, err := fromReport(roundTrip(t, r), t0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	master := stats.New(t0, stats.Options{Shards: 1})
	master.Merge(back, "locust")
	now := t0.Add(3 * time.Second)
	master.Tick(now, 0)
	single.Tick(now, 0)
	a, b := single.Snapshot(now, 0), master.Snapshot(now, 0)
	if a.Total.Requests != b.Total.Requests || a.Total.Failures != b.Total.Failures || a.Total.TotalSize != b.Total.TotalSize {
		t.Fatalf("counts differ: %+v vs %+v", a.Total, b.Total)
	}
	if d := a.Total.Mean - b.Total.Mean; d > time.Microsecond || d < -time.Microsecond {
		t.Errorf("mean %v vs %v", a.Total.Mean, b.Total.Mean)
	}
	for i, q := range stats.Percentiles {
		want, got := a.Total.Percentiles[i], b.Total.Percentiles[i]
		// Locust rounds to 2 significant digits above 100 ms, to 1 ms below.
		tol := max(want/20, 1500*time.Microsecond)
		if diff := got - want; diff > tol || diff < -tol {
			t.Errorf("p%v: %v vs exact %v", q, got, want)
		}
	}
}

func TestPerSecond(t *testing.T) {
	t.Parallel()
	start := time.Unix(100, 500_000_000)
	got := perSecond(7, start, start.Add(2*time.Second))
	want := "[{100 3} {101 2} {102 2}]"
	if fmt.Sprint(got) != want {
		t.Errorf("perSecond = %v, want %v", got, want)
	}
	if perSecond(0, start, start) != nil {
		t.Error("no requests gave seconds")
	}
}

// Open-model figures (intended-start histograms, iterations, dropped) reach
// a herd master exactly.
func TestOpenModelReportsAreExact(t *testing.T) {
	t.Parallel()
	w := stats.New(t0, stats.Options{Shards: 1})
	for i := range 50 {
		w.Shard(0).RecordIntended("GET", "/", time.Millisecond, time.Duration(i)*time.Millisecond, 1, "")
	}
	w.Shard(0).AddIterations(50, 7)
	r, err := toReport(w.TakeDelta(t0.Add(3*time.Second)), map[string]int{"U": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := fromReport(roundTrip(t, r), t0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d.Iterations != 50 || d.Dropped != 7 {
		t.Errorf("iterations, dropped = %d, %d; want 50, 7", d.Iterations, d.Dropped)
	}
	var intended histogram.Histogram
	if len(d.Entries) != 1 || intended.UnmarshalBinary(d.Entries[0].IntendedBinary) != nil || intended.Max() != 49*time.Millisecond {
		t.Fatalf("entries = %+v, want one with intended max 49ms", d.Entries)
	}
}
