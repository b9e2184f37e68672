package control

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// BenchmarkWorkerReport is what a worker's report costs (every 3 s, off
// the requests' path): draining its statistics into a delta alone, and
// with the merge into its own statistics that the runner handle reads
// once it asked for them.
//
//	go test -run '^$' -bench WorkerReport ./internal/control
func BenchmarkWorkerReport(b *testing.B) {
	for _, names := range []int{10, 1000} {
		for _, own := range []bool{false, true} {
			b.Run(fmt.Sprintf("names=%d/own=%v", names, own), func(b *testing.B) {
				now := time.Now()
				w := &workerLocal{c: &Controller{}, st: stats.New(now, stats.Options{}),
					own: stats.New(now, stats.Options{Shards: 1})}
				w.keep.Store(own) // as after Node.Stats on the worker
				for b.Loop() {
					b.StopTimer()
					for i := range names {
						w.st.Shard(i).Record("GET", "/item/"+strconv.Itoa(i), time.Duration(i)*time.Microsecond, 100, "")
					}
					now = now.Add(3 * time.Second)
					b.StartTimer()
					w.TakeDelta(now)
				}
			})
		}
	}
}
