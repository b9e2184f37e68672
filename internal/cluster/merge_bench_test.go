package cluster

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
)

// workerFrames builds one stats report per worker, each with endpoints
// entries of realistic latency spreads, encoded as on the wire.
func workerFrames(b *testing.B, workers, endpoints int) [][]byte {
	b.Helper()
	frames := make([][]byte, workers)
	r := rand.New(rand.NewPCG(7, 7))
	for w := range workers {
		st := stats.New(t0, stats.Options{Shards: 1})
		for e := range endpoints {
			name := fmt.Sprintf("/api/endpoint/%d", e)
			for range 30 { // ~10 requests/s per endpoint over 3 s
				st.Shard(0).Record("GET", name, time.Duration(r.ExpFloat64()*float64(30*time.Millisecond)), 512, "")
			}
		}
		rep, err := toReport(st.TakeDelta(t0.Add(3*time.Second)), map[string]int{"U": 10}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if frames[w], err = wire.EncodePayload(fmt.Sprintf("w%d", w), rep); err != nil {
			b.Fatal(err)
		}
	}
	return frames
}

// BenchmarkMasterMerge100x1000 is one 3-second reporting cycle of a master
// with 100 workers × 1,000 endpoints: decode every report, merge it. CPU
// share of one core = ns/op ÷ 3e9.
func BenchmarkMasterMerge100x1000(b *testing.B) { benchMerge(b, 100, 1000, false) }

// BenchmarkMasterMerge1000x100 is issue 14's cluster: 1,000 workers × 100
// endpoints, as many entries per cycle in ten times as many reports.
func BenchmarkMasterMerge1000x100(b *testing.B) { benchMerge(b, 1000, 100, false) }

// BenchmarkMasterMergeReference100x1000 is BenchmarkMasterMerge100x1000
// with the decoding the master used before intake (reference_test.go).
func BenchmarkMasterMergeReference100x1000(b *testing.B) { benchMerge(b, 100, 1000, true) }

// benchMerge runs reporting cycles as the master's receive goroutine and
// life loop do: each frame is split (wire.DecodeView), read into a delta
// and merged (OnDelta), then the once-a-second drain. One cycle runs
// before the timer, so every measured one is a steady one. Besides the
// wall time it reports the process's CPU time per cycle (getrusage, so a
// busy machine inflates it less) and that as a share of one core over the
// 3-second cycle.
func benchMerge(b *testing.B, workers, endpoints int, reference bool) {
	frames := workerFrames(b, workers, endpoints)
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	master := stats.New(t0, stats.Options{Shards: 1})
	var in intake
	var pool refHists
	cycle := func() {
		for _, f := range frames {
			m, err := wire.DefaultLimits.DecodeView(f)
			if err != nil {
				b.Fatal(err)
			}
			var d *stats.Delta
			if reference {
				d, _, err = readReportRef(m.Data, t0, &pool)
			} else {
				d, _, err = in.read(m.Data, t0)
			}
			if err != nil {
				b.Fatal(err)
			}
			master.Merge(d, m.NodeID)
			if reference {
				pool.recycle(d)
			}
		}
		master.Tick(t0, 0) // the master's once-a-second drain, also on the path
	}
	cycle()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		cycle()
	}
	cpu = processCPU() - cpu
	b.StopTimer()
	b.ReportMetric(float64(size)/float64(len(frames)), "bytes/report")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/cycle")
		b.ReportMetric(cpu.Seconds()/float64(b.N)/3*100, "%core")
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-heap")
	runtime.KeepAlive(master) // the heap figure includes the master's statistics
	runtime.KeepAlive(frames)
}
