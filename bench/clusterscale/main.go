// Command clusterscale measures a herd master at cluster scale: one master
// and many simulated workers over real ZeroMQ connections on 127.0.0.1.
// `go run ./bench -cluster` runs it (see bench/cluster.go): one master
// process, pinned to one CPU when taskset exists, and several worker
// processes, each holding many workers.
//
// The master role is internal/cluster's Master with its statistics merged
// as internal/control merges them (stats.Stats with --max-names' default,
// a Tick every second and a Snapshot every 2 s, as the console table
// does); no console, CSV or web UI. It prints its endpoint on the first
// line of stdout, waits for the workers, and measures: registration,
// heartbeats and empty reports (before the start), the time from a start
// to all users running, then reporting cycles of 3 s (the master's CPU
// from getrusage, RSS from /proc, the Go heap and allocations from
// runtime.MemStats), stop and quit. It prints a markdown report.
//
// The workers role runs -n herd workers (cluster.RunWorker, the real
// worker protocol) over a fake runner: a spawn starts its users at once,
// and every report carries the same realistic statistics (-endpoints
// names, 30 requests each per report, exact histograms: what a herd
// worker sends).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"
)

var (
	role       = flag.String("role", "master", "master or workers")
	master     = flag.String("master", "", "workers: the master's endpoint, tcp://127.0.0.1:PORT")
	workers    = flag.Int("workers", 1000, "master: workers to expect; workers: workers to run in this process")
	first      = flag.Int("first", 0, "workers: the first worker's number (node ids are unique over processes)")
	endpoints  = flag.Int("endpoints", 100, "workers: request names per report")
	spread     = flag.Duration("spread", 2*time.Second, "workers: start them over this long")
	users      = flag.Int("users", 10_000, "master: users to start over all workers")
	rate       = flag.Float64("rate", 0, "master: spawn rate (users/s); 0 starts them all in one step")
	cycles     = flag.Int("cycles", 5, "master: 3-second reporting cycles to measure")
	timeout    = flag.Duration("timeout", 5*time.Minute, "the longest the whole run may take")
	liveness   = flag.Int("liveness", 0, "master: seconds without a heartbeat before a worker is missing (0: the master's default, 3)")
	cpuProf    = flag.String("cpuprofile", "", "master: write a CPU profile (from the idle phase to the last cycle) to this file")
	goroutines = flag.String("goroutines", "", "master: write its goroutines after the measured cycles to this file")
)

func main() {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	switch *role {
	case "master":
		err = runMaster(ctx)
	case "workers":
		err = runWorkers(ctx)
	default:
		err = fmt.Errorf("unknown -role %q", *role)
	}
	if err != nil {
		slog.Error("clusterscale", "role", *role, "err", err)
		os.Exit(1)
	}
}
