package stats

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Benchmarks with many distinct request names: recording must cost the
// same per request with 10,000 names as with one, and the once-a-second
// work (Tick, Snapshot) grows only with the number of names.

var nameCounts = []int{1, 100, 10_000}

func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("/api/items/%d", i)
	}
	return s
}

// BenchmarkRecordNames records requests spread over n names, one shard.
func BenchmarkRecordNames(b *testing.B) {
	for _, n := range nameCounts {
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			s := New(t0, Options{Shards: 1})
			sh := s.Shard(0)
			ns := names(n)
			for _, name := range ns { // every entry exists, as in a steady run
				sh.Record("GET", name, time.Millisecond, 512, "")
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sh.Record("GET", ns[i], time.Duration(i%5000)*time.Microsecond, 512, "")
				if i++; i == n {
					i = 0
				}
			}
		})
	}
}

// filled is a Stats whose shards have seen every name for a few seconds,
// so that Tick and Snapshot work on n cumulative entries.
func filled(b *testing.B, n int) (*Stats, []string) {
	s := New(t0, Options{Shards: 4})
	ns := names(n)
	for sec := range 3 {
		for i, name := range ns {
			s.Shard(i).Record("GET", name, time.Duration(i%5000+1)*time.Microsecond, 512, "")
		}
		s.Tick(t0.Add(time.Duration(sec+1)*time.Second), 10)
	}
	return s, ns
}

// BenchmarkTickNames is one second's drain after a request on every name.
func BenchmarkTickNames(b *testing.B) {
	for _, n := range nameCounts {
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			s, ns := filled(b, n)
			now := t0.Add(4 * time.Second)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i, name := range ns {
					s.Shard(i).Record("GET", name, time.Millisecond, 512, "")
				}
				now = now.Add(time.Second)
				b.StartTimer()
				s.Tick(now, 10)
			}
		})
	}
}

// BenchmarkSnapshotNames computes the percentiles of every entry.
func BenchmarkSnapshotNames(b *testing.B) {
	for _, n := range nameCounts {
		b.Run(fmt.Sprintf("names=%d", n), func(b *testing.B) {
			s, _ := filled(b, n)
			now := t0.Add(4 * time.Second)
			b.ReportAllocs()
			for b.Loop() {
				if snap := s.Snapshot(now, 10); len(snap.Entries) != n {
					b.Fatalf("%d entries", len(snap.Entries))
				}
			}
		})
	}
}

// BenchmarkMemoryPerName reports the heap a name costs once it has been
// recorded on every shard, drained and snapshotted: the shards' hot and
// spare tables, the cumulative entry with its windows, and the histograms
// (latencies spread over 1 µs–5 ms, so several powers of two are in use).
func BenchmarkMemoryPerName(b *testing.B) {
	const n = 10_000
	ns := names(n)
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New(t0, Options{Shards: 4})
		for sec := range 3 {
			for sh := range 4 {
				for i, name := range ns {
					s.Shard(sh).Record("GET", name, time.Duration((i*7+sh)%5000+1)*time.Microsecond, 512, "")
				}
			}
			s.Tick(t0.Add(time.Duration(sec+1)*time.Second), 10)
		}
		snap := s.Snapshot(t0.Add(4*time.Second), 10)
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		runtime.KeepAlive(snap)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/name")
	}
}
