// Package memlimit keeps the Go heap's headroom small in a load generator
// with many idle users (--memory-limit). With the default GOGC of 100 the
// heap may grow to twice the live heap before a collection: at 100,000 idle
// users that headroom was ~3 KB of the 7.5 KB each cost. A soft memory
// limit (debug.SetMemoryLimit) that follows the live heap, live plus a
// quarter plus a fixed floor, caps it; small heaps, where GOGC's headroom
// is smaller than the floor, are left to GOGC so a busy run does not
// collect more often. The limit never exceeds nine tenths of the machine's
// or the cgroup's memory, and a GOMEMLIMIT set by the user is never
// overridden (the caller checks it).
package memlimit

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Setting is a parsed --memory-limit: Auto, Off, or a fixed number of bytes.
type Setting struct {
	Auto  bool
	Bytes int64 // > 0: a fixed limit; 0 with Auto false: off
}

// Parse reads a --memory-limit value: "auto", "off", or a size such as
// 512MiB, 2GiB, 1.5GB or a plain number of bytes.
func Parse(s string) (Setting, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return Setting{Auto: true}, nil
	case "off", "0":
		return Setting{}, nil
	}
	n, err := parseSize(strings.TrimSpace(s))
	if err != nil {
		return Setting{}, err
	}
	return Setting{Bytes: n}, nil
}

var units = []struct {
	suffix string
	mult   float64
}{ // longest suffixes first
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

func parseSize(s string) (int64, error) {
	num, mult := s, 1.0
	for _, u := range units {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			num, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, fmt.Errorf("want auto, off or a size such as 512MiB or 2GiB, got %q", s)
	}
	b := v * mult
	if b < 1<<20 || b > math.MaxInt64/2 {
		return 0, fmt.Errorf("a memory limit must be between 1MiB and 4EiB, got %q", s)
	}
	return int64(b), nil
}

// Headroom and Floor size the automatic limit: live heap × (1 + Headroom)
// + Floor, plus the memory that is not heap (stacks, runtime metadata).
const (
	Headroom = 0.25
	Floor    = 32 << 20
)

// Limit is the automatic limit for a live heap of live bytes and other
// bytes of non-heap memory, capped at ceiling (0: no cap).
func Limit(live, other, ceiling int64) int64 {
	l := other + live + int64(float64(live)*Headroom) + Floor
	if ceiling > 0 && l > ceiling {
		l = ceiling
	}
	return l
}

// Ceiling is nine tenths of the memory this process may use: the smaller of
// the machine's (MemTotal in /proc/meminfo) and the cgroup's (memory.max,
// or cgroup v1's memory.limit_in_bytes); 0 when neither can be read.
func Ceiling() int64 { return ceiling(os.ReadFile) }

func ceiling(read func(string) ([]byte, error)) int64 {
	var c int64
	take := func(n int64) {
		if n > 0 && (c == 0 || n < c) {
			c = n
		}
	}
	if b, err := read("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					take(kb << 10)
				}
			}
		}
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := read(p); err == nil {
			// "max" (v2) and v1's huge "no limit" value parse as no cap.
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n < 1<<60 {
				take(n)
			}
		}
	}
	return c / 10 * 9
}

// The limit is process-wide, and one process may hold several runs (tests
// run many, some in synctest bubbles): each run governs with a goroutine of
// its own (they compute the same limit), and the last to stop restores the
// limit that was in force before the first started.
var shared struct {
	sync.Mutex
	runs   int
	before int64
}

// Start applies s to the process until the returned function is called
// (it waits for the run's governor goroutine and, for the last run,
// restores the previous limit). A fixed limit is set once; Auto starts a
// governor that moves the limit after every collection. Off does nothing.
func Start(s Setting) (stop func()) {
	if !s.Auto && s.Bytes <= 0 {
		return func() {}
	}
	shared.Lock()
	shared.runs++
	if shared.runs == 1 {
		shared.before = debug.SetMemoryLimit(-1)
	}
	shared.Unlock()
	halt := func() {}
	if s.Auto {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); govern(ctx, Ceiling(), pollEvery) }()
		halt = func() { cancel(); <-done }
	} else {
		debug.SetMemoryLimit(s.Bytes)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			halt()
			shared.Lock()
			defer shared.Unlock()
			if shared.runs--; shared.runs == 0 {
				debug.SetMemoryLimit(shared.before)
			}
		})
	}
}

// pollEvery is how often the governor looks for a finished collection:
// reading a few runtime metrics costs well under a microsecond.
const pollEvery = 100 * time.Millisecond

var sampleNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// govern sets the limit from the live heap after each collection until ctx
// is done.
func govern(ctx context.Context, ceiling int64, every time.Duration) {
	samples := make([]metrics.Sample, len(sampleNames))
	for i, n := range sampleNames {
		samples[i].Name = n
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := uint64(math.MaxUint64)
	for {
		metrics.Read(samples)
		if cycles := value(samples[0]); cycles != last {
			last = cycles
			live := int64(value(samples[1]))
			heap := int64(value(samples[3]) + value(samples[4]) + value(samples[5]) + value(samples[6]))
			other := int64(value(samples[2])) - heap
			debug.SetMemoryLimit(Limit(live, other, ceiling))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
