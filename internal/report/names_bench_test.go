package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// BenchmarkReportNames renders a snapshot with n entries in every format:
// the cost per entry must not grow with n.
func BenchmarkReportNames(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1, 100, 10_000} {
		s := stats.New(t0, stats.Options{Shards: 1})
		for i := range n {
			name := fmt.Sprintf("/api/items/%d", i)
			for j := range 10 {
				s.Shard(0).Record("GET", name, time.Duration(i%5000+j+1)*time.Microsecond, 512, "")
			}
		}
		s.Tick(t0.Add(time.Second), 10)
		snap := s.Snapshot(t0.Add(time.Second), 10)
		for _, f := range []struct {
			name  string
			write func(io.Writer) error
		}{
			{"console", func(w io.Writer) error { WriteStats(w, snap, true); WritePercentiles(w, snap); return nil }},
			{"csv", func(w io.Writer) error { return WriteStatsCSV(w, snap) }},
			{"json", func(w io.Writer) error { return WriteJSON(w, snap, nil) }},
		} {
			b.Run(fmt.Sprintf("%s/names=%d", f.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := f.write(io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
			})
		}
	}
}
