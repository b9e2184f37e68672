package stats

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// encoded returns d with its histograms encoded (DeltaEntry.HistBinary),
// as a master's intake hands them over.
func encoded(t *testing.T, d *Delta) *Delta {
	t.Helper()
	out := *d
	out.Entries = make([]DeltaEntry, len(d.Entries))
	for i, e := range d.Entries {
		b, err := e.Hist.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		e.HistBinary, e.Hist = b, nil
		if e.Intended != nil {
			if e.IntendedBinary, err = e.Intended.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
			e.Intended = nil
		}
		out.Entries[i] = e
	}
	return &out
}

// TestMergeBinaryEqualsMerge merges the same deltas decoded into one
// Stats and encoded into another (full history, open-model histograms,
// an observer): snapshots, history rows and what the observer sees are
// identical; a corrupt encoding is skipped.
func TestMergeBinaryEqualsMerge(t *testing.T) {
	t.Parallel()
	opts := Options{Shards: 1, FullHistory: true}
	decoded, binary := New(t0, opts), New(t0, opts)
	var seenDecoded, seenBinary []string
	observe := func(seen *[]string) Observer {
		return func(k Key, requests, failures uint64, h *histogram.Histogram) {
			*seen = append(*seen, fmt.Sprint(k, requests, failures, h.Count(), h.Sum(), h.Quantile(0.99)))
		}
	}
	decoded.SetObserver(observe(&seenDecoded))
	binary.SetObserver(observe(&seenBinary))
	worker := New(t0, Options{Shards: 1})
	r := rand.New(rand.NewPCG(5, 6))
	now := t0
	for step := range 6 {
		for i := range 200 {
			d := time.Duration(r.ExpFloat64() * float64(15*time.Millisecond))
			name := fmt.Sprintf("/p/%d", i%5)
			fail := ""
			if i%9 == 0 {
				fail = "HTTP 502"
			}
			if i%4 == 0 {
				worker.Shard(0).RecordIntended("GET", name, d, d/3, 10, fail)
			} else {
				worker.Shard(0).Record("GET", name, d, 10, fail)
			}
		}
		now = now.Add(time.Second)
		d := worker.TakeDelta(now)
		decoded.Merge(d, "w")
		binary.Merge(encoded(t, d), "w")
		if step == 3 {
			bad := encoded(t, d)
			bad.Entries[0].HistBinary = []byte{1, 200}
			binary.Merge(&Delta{Start: now, End: now, Entries: bad.Entries[:1]}, "w")
		}
		a, b := decoded.Tick(now, 1), binary.Tick(now, 1)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("step %d: history rows differ:\n%+v\n%+v", step, a, b)
		}
	}
	if a, b := decoded.Snapshot(now, 1), binary.Snapshot(now, 1); !reflect.DeepEqual(a, b) {
		t.Errorf("snapshots differ:\n%+v\n%+v", a, b)
	}
	if !reflect.DeepEqual(seenDecoded, seenBinary) {
		t.Errorf("the observer saw\n%v\n%v", seenDecoded, seenBinary)
	}
}
