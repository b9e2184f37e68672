package web

import (
	"testing"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// BenchmarkLiveUpdate20000 is one viewer's update of a 20,000-name table
// (the default --max-names): the whole table, as every update was before
// the diff protocol and as a stream's first one still is; an update when
// no row changed (names each seen once, the case of issue 12); and one
// when every row changed (all 20,000 names busy), which carries at most
// maxUpdateRows. B/update is the size of the stats part.
func BenchmarkLiveUpdate20000(b *testing.B) {
	const n = 20_000
	base := rowsSnapshot(n, 100)
	b.Run("whole", func(b *testing.B) {
		var size int
		for b.Loop() {
			js, err := report.MarshalStatsJSON(base)
			if err != nil {
				b.Fatal(err)
			}
			size = len(js)
		}
		b.ReportMetric(float64(size), "B/update")
	})
	for _, c := range []struct {
		name   string
		change bool
	}{{"diff-unchanged", false}, {"diff-all-changed", true}} {
		b.Run(c.name, func(b *testing.B) {
			var lt liveTable
			sub := &subscriber{id: "0123456789abcdef"}
			t := &liveTick{seq: 1, state: []byte("{}"), thresholds: []byte("[]"), point: []byte("null")}
			lt.update(1, base, t)
			if _, err := sub.frame(t); err != nil {
				b.Fatal(err)
			}
			snaps := []*stats.Snapshot{base, rowsSnapshot(n, 101)}
			seq := uint64(1)
			var size int
			for b.Loop() {
				seq++
				snap := base
				if c.change {
					snap = snaps[seq%2]
				}
				t := &liveTick{seq: seq, state: []byte("{}"), thresholds: []byte("[]"), point: []byte("null")}
				lt.update(seq, snap, t) // the hub's share of a tick
				f, err := sub.frame(t)
				if err != nil {
					b.Fatal(err)
				}
				size = len(f)
			}
			b.ReportMetric(float64(size), "B/update")
		})
	}
}
