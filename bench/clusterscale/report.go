package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// report is what runMaster measured.
type report struct {
	workers, users int
	rate           float64
	cores          int
	liveness       int

	registered   time.Duration // from the master's start until every worker registered
	registerLogs map[string]int
	idle         sample // before the start: heartbeats and empty reports
	spawned      time.Duration
	running      int
	cycles       []sample
	total        sample
	merge        time.Duration // in stats.Merge over the cycles
	missing      int
	stopped      time.Duration
	stillRunning int
	quit         time.Duration
	unreported   int
	logs         map[string]int
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// print writes the report as markdown.
func (r *report) print(w io.Writer) {
	rate := "all at once"
	if r.rate > 0 {
		rate = fmt.Sprintf("%g/s", r.rate)
	}
	live := "3 s (the default)"
	if r.liveness > 0 {
		live = fmt.Sprintf("%d s", r.liveness)
	}
	fmt.Fprintf(w, "\n%d workers, %d users (%s), master GOMAXPROCS %d, missing after %s without a heartbeat\n\n",
		r.workers, r.users, rate, r.cores, live)
	fmt.Fprintf(w, "| phase | figure |\n|---|---|\n")
	fmt.Fprintf(w, "| registration | all %d registered %.2f s after the master started |\n", r.workers, r.registered.Seconds())
	perSec := func(s sample, v float64) float64 { return v / s.span.Seconds() }
	fmt.Fprintf(w, "| idle (heartbeats, empty reports), per second | CPU %.1f ms (%.1f%% of a core), %.0f allocations, %s allocated; %.0f reports |\n",
		perSec(r.idle, float64(r.idle.cpu.Milliseconds())), perSec(r.idle, 100*r.idle.cpu.Seconds()),
		perSec(r.idle, float64(r.idle.mallocs)), mib(int64(perSec(r.idle, float64(r.idle.bytes)))), perSec(r.idle, float64(r.idle.reports)))
	if r.running == r.users {
		fmt.Fprintf(w, "| start to all users running | %.3f s |\n", r.spawned.Seconds())
	} else {
		fmt.Fprintf(w, "| start to all users running | not reached in %.0f s: %d users |\n", r.spawned.Seconds(), r.running)
	}
	fmt.Fprintf(w, "| stop (all confirmed) | %.3f s, %d users left |\n", r.stopped.Seconds(), r.stillRunning)
	fmt.Fprintf(w, "| quit (all gone) | %.3f s, %d workers' final statistics missing |\n", r.quit.Seconds(), r.unreported)
	fmt.Fprintf(w, "| workers missing after the cycles | %d |\n\n", r.missing)

	fmt.Fprintf(w, "| 3-s cycle | reports merged | requests merged | master CPU | %% of a core | allocations | allocated | GCs | RSS | Go heap in use |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, c := range r.cycles {
		fmt.Fprintf(w, "| %d | %d | %d | %d ms | %.1f%% | %d | %s | %d | %s | %s |\n", i+1, c.reports, c.requests,
			c.cpu.Milliseconds(), 100*c.cpu.Seconds()/c.span.Seconds(), c.mallocs, mib(int64(c.bytes)), c.gcs,
			mib(c.rss), mib(int64(c.heap)))
	}
	t := r.total
	n := float64(len(r.cycles))
	fmt.Fprintf(w, "| mean | %.0f | %.0f | %.0f ms | %.1f%% | %.0f | %s | %.1f | peak %s | |\n\n",
		float64(t.reports)/n, float64(t.requests)/n, float64(t.cpu.Milliseconds())/n, 100*t.cpu.Seconds()/t.span.Seconds(),
		float64(t.mallocs)/n, mib(int64(float64(t.bytes)/n)), float64(t.gcs)/n, mib(t.hwm))
	if t.reports > 0 {
		fmt.Fprintf(w, "Per report: %.0f µs of master CPU (everything: socket, decoding, merging, heartbeats, ticks), %.0f µs of wall time in stats.Merge, %.1f allocations, %.1f KiB allocated.\n\n",
			float64(t.cpu.Microseconds())/float64(t.reports), float64(r.merge.Microseconds())/float64(t.reports),
			float64(t.mallocs)/float64(t.reports), float64(t.bytes)/float64(t.reports)/1024)
	}
	fmt.Fprintf(w, "Master log records:")
	for _, k := range slices.Sorted(maps.Keys(r.logs)) {
		fmt.Fprintf(w, " %q×%d", k, r.logs[k])
	}
	fmt.Fprintln(w)
}
