package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
)

// cycle is Locust's (and herd's) report interval.
const cycle = 3 * time.Second

// sample is the master process's counters at one moment.
type sample struct {
	at       time.Time
	cpu      time.Duration // user + system, getrusage(RUSAGE_SELF)
	rss, hwm int64         // bytes, /proc/self/status
	heap     uint64        // runtime.MemStats.HeapInuse
	mallocs  uint64
	bytes    uint64 // TotalAlloc
	gcs      uint32
	reports  int64 // merged since the start
	requests int64 // in the merged reports
	span     time.Duration
}

// runMaster serves the workers and prints the measurements.
func runMaster(ctx context.Context) error {
	logs := &countingHandler{counts: map[string]int{}}
	st := stats.New(time.Now(), stats.Options{MaxNames: 20_000})
	var reports, requests atomic.Int64
	var merging atomic.Int64 // ns spent in OnDelta (stats.Merge)
	m, err := cluster.StartMaster(ctx, cluster.MasterOptions{
		Bind:    "tcp://127.0.0.1:0",
		Logger:  slog.New(logs),
		Classes: []cluster.Class{{Name: "U", Weight: 1}},
		OnDelta: func(d *stats.Delta, node string) {
			t := time.Now()
			st.Merge(d, node)
			merging.Add(int64(time.Since(t)))
			reports.Add(1)
			for _, e := range d.Entries {
				requests.Add(int64(e.Requests))
			}
		},
		// As internal/control sets it for --max-names' default.
		Limits:   transport.Limits{MaxMessageSize: cluster.MaxReportSize(20_000)},
		Liveness: *liveness,
	})
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Printf("tcp://127.0.0.1:%d\n", m.Port())
	os.Stdout.Sync()

	// The life loop's share: a Tick every second, a Snapshot every 2 s.
	loopCtx, stopLoop := context.WithCancel(ctx)
	var loop sync.WaitGroup
	loop.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-loopCtx.Done():
				return
			case now := <-t.C:
				st.Tick(now, m.UserCount())
				if i%2 == 1 {
					st.Snapshot(now, m.UserCount())
				}
			}
		}
	})
	defer func() {
		stopLoop()
		loop.Wait()
	}()
	take := func() sample {
		s := sample{at: time.Now(), reports: reports.Load(), requests: requests.Load()}
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		s.rss, s.hwm = procStatus("VmRSS"), procStatus("VmHWM")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.heap, s.mallocs, s.bytes, s.gcs = ms.HeapInuse, ms.Mallocs, ms.TotalAlloc, ms.NumGC
		return s
	}

	r := &report{workers: *workers, users: *users, rate: *rate, cores: runtime.GOMAXPROCS(0), liveness: *liveness}
	start := time.Now()
	if err := m.WaitForWorkers(ctx, *workers); err != nil {
		return err
	}
	r.registered = time.Since(start)
	r.registerLogs = logs.snapshot()

	// Idle: heartbeats every second and empty reports every 3 s.
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	time.Sleep(cycle)
	idle0 := take()
	time.Sleep(2 * cycle)
	r.idle = diff(idle0, take())

	// The start: every worker's spawn, until they all report their users
	// (spawning_complete), polled every millisecond.
	t := time.Now()
	if err := m.Start(*users, *rate, "", 0, nil); err != nil {
		return err
	}
	for r.running = m.UserCount(); r.running != *users && time.Since(t) < 30*time.Second; r.running = m.UserCount() {
		time.Sleep(time.Millisecond)
	}
	r.spawned = time.Since(t) // what the report says when they never all ran

	// Reporting cycles, after one to let full reports begin.
	time.Sleep(cycle)
	prev := take()
	first := prev
	merging.Store(0)
	for range *cycles {
		time.Sleep(cycle)
		s := take()
		r.cycles = append(r.cycles, diff(prev, s))
		prev = s
	}
	pprof.StopCPUProfile()
	if *goroutines != "" {
		if f, err := os.Create(*goroutines); err == nil {
			pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}
	r.merge = time.Duration(merging.Load())
	r.total = diff(first, prev)
	r.missing = 0
	for _, w := range m.Workers() {
		if w.State == "missing" {
			r.missing++
		}
	}

	t = time.Now()
	r.stillRunning = m.Stop(5 * time.Second)
	r.stopped = time.Since(t)
	t = time.Now()
	r.unreported = len(m.Quit(10 * time.Second))
	r.quit = time.Since(t)
	r.logs = logs.snapshot()
	r.print(os.Stdout)
	return nil
}

// diff is what happened between two samples.
func diff(a, b sample) sample {
	return sample{at: b.at, cpu: b.cpu - a.cpu, rss: b.rss, hwm: b.hwm, heap: b.heap, mallocs: b.mallocs - a.mallocs,
		bytes: b.bytes - a.bytes, gcs: b.gcs - a.gcs, reports: b.reports - a.reports, requests: b.requests - a.requests,
		span: b.at.Sub(a.at)}
}

// procStatus reads one "kB" field of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// countingHandler counts the master's log records by level and message,
// and prints the first warnings.
type countingHandler struct {
	mu      sync.Mutex
	counts  map[string]int
	printed int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(_ context.Context, rec slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[rec.Level.String()+" "+rec.Message]++
	if rec.Level >= slog.LevelWarn && h.printed < 10 {
		h.printed++
		var b strings.Builder
		rec.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		fmt.Fprintf(os.Stderr, "# master: %s%s\n", rec.Message, b.String())
	}
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// snapshot copies the counts.
func (h *countingHandler) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}
