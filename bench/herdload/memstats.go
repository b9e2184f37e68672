package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"time"
)

// HERDLOAD_MEMSTATS=DURATION prints, DURATION after the start, where the
// process's memory goes (runtime/metrics, in MiB) and the share of its CPU
// time the garbage collector took so far: for the memory benchmark.
func init() {
	d, err := time.ParseDuration(os.Getenv("HERDLOAD_MEMSTATS"))
	if err != nil {
		return
	}
	time.AfterFunc(d, printMemStats)
}

func printMemStats() {
	names := []string{
		"/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes",
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/unused:bytes",
		"/memory/classes/heap/free:bytes",
		"/memory/classes/heap/stacks:bytes",
		"/memory/classes/os-stacks:bytes",
		"/memory/classes/metadata/other:bytes",
		"/memory/classes/metadata/mspan/inuse:bytes",
		"/memory/classes/metadata/mcache/inuse:bytes",
		"/memory/classes/other:bytes",
		"/memory/classes/profiling/buckets:bytes",
		"/gc/heap/live:bytes",
		"/gc/heap/goal:bytes",
		"/gc/gomemlimit:bytes",
		"/cpu/classes/gc/total:cpu-seconds",
		"/cpu/classes/total:cpu-seconds",
	}
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	for _, x := range s {
		switch x.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(os.Stderr, "herdload memstats %-45s %10.1f MiB\n", x.Name, float64(x.Value.Uint64())/(1<<20))
		case metrics.KindFloat64:
			fmt.Fprintf(os.Stderr, "herdload memstats %-45s %10.2f\n", x.Name, x.Value.Float64())
		}
	}
	fmt.Fprintf(os.Stderr, "herdload memstats goroutines %d\n", runtime.NumGoroutine())
}
