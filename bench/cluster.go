package main

// The cluster benchmark (go run ./bench -cluster): a herd master with
// -cluster-workers simulated herd workers over real ZeroMQ connections on
// 127.0.0.1 (bench/clusterscale). The master runs in a process of its
// own with GOMAXPROCS=1 (one master core), pinned to CPU 0 with taskset
// when there are two CPUs or more, and the workers in -cluster-procs
// processes on the other CPUs; the master measures itself and prints the
// report.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	clusterWorkers   = flag.Int("cluster-workers", 1000, "cluster benchmark: simulated workers")
	clusterProcs     = flag.Int("cluster-procs", 4, "cluster benchmark: processes the workers are spread over")
	clusterUsers     = flag.Int("cluster-users", 10_000, "cluster benchmark: users started over all workers")
	clusterRate      = flag.Float64("cluster-rate", 0, "cluster benchmark: spawn rate; 0 starts every user in one step")
	clusterEndpoints = flag.Int("cluster-endpoints", 100, "cluster benchmark: request names in each worker's reports")
	clusterCycles    = flag.Int("cluster-cycles", 5, "cluster benchmark: 3-second reporting cycles measured")
	clusterSpread    = flag.Duration("cluster-spread", 2*time.Second, "cluster benchmark: the workers start over this long")
	clusterProfile   = flag.String("cluster-cpuprofile", "", "cluster benchmark: the master's CPU profile, from the idle phase to the last cycle")
	clusterPin       = flag.Bool("cluster-pin", true, "cluster benchmark: pin the master to CPU 0 and the workers to the others (taskset)")
	clusterLiveness  = flag.Int("cluster-liveness", 0, "cluster benchmark: seconds without a heartbeat before the master calls a worker missing (0: its default, 3); raise it on a machine shared with other work, whose stalls otherwise mark workers missing")
)

func runCluster(dir string) error {
	bin := filepath.Join(dir, "clusterscale")
	if _, err := raiseNofile(uint64(*clusterWorkers) + 1000); err != nil {
		return err
	}
	pinMaster, pinWorkers := []string(nil), []string(nil)
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= 2 && *clusterPin {
		pinMaster = []string{"taskset", "-c", "0"}
		pinWorkers = []string{"taskset", "-c", "1-" + strconv.Itoa(runtime.NumCPU()-1)}
		note("master pinned to CPU 0, workers to CPUs 1–%d", runtime.NumCPU()-1)
	} else {
		note("master and workers not pinned (-cluster-pin=false, no taskset, or one CPU); the master's GOMAXPROCS is 1")
	}
	args := append(pinMaster, bin, "-role", "master", "-workers", strconv.Itoa(*clusterWorkers),
		"-users", strconv.Itoa(*clusterUsers), "-rate", strconv.FormatFloat(*clusterRate, 'g', -1, 64),
		"-cycles", strconv.Itoa(*clusterCycles), "-liveness", strconv.Itoa(*clusterLiveness))
	if *clusterProfile != "" {
		args = append(args, "-cpuprofile", *clusterProfile)
	}
	master := exec.Command(args[0], args[1:]...)
	master.Env = append(os.Environ(), "GOMAXPROCS=1") // one master core, pinned or not
	master.Stderr = os.Stderr
	stdout, err := master.StdoutPipe()
	if err != nil {
		return err
	}
	if err := master.Start(); err != nil {
		return err
	}
	rd := bufio.NewReader(stdout)
	endpoint, err := rd.ReadString('\n')
	if err != nil {
		_ = master.Process.Kill()
		_ = master.Wait()
		return fmt.Errorf("the master did not say its endpoint: %w", err)
	}
	endpoint = strings.TrimSpace(endpoint)
	note("master at %s; %d workers in %d processes, %d request names each", endpoint, *clusterWorkers, *clusterProcs, *clusterEndpoints)

	var wg sync.WaitGroup
	errs := make([]error, *clusterProcs)
	per := (*clusterWorkers + *clusterProcs - 1) / *clusterProcs
	for p := range *clusterProcs {
		n := min(per, *clusterWorkers-p*per)
		if n <= 0 {
			break
		}
		wargs := append(append([]string(nil), pinWorkers...), bin, "-role", "workers", "-master", endpoint,
			"-workers", strconv.Itoa(n), "-first", strconv.Itoa(p*per), "-endpoints", strconv.Itoa(*clusterEndpoints),
			"-spread", clusterSpread.String())
		c := exec.Command(wargs[0], wargs[1:]...)
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			errs[p] = err
			continue
		}
		wg.Go(func() { errs[p] = c.Wait() })
	}
	report, readErr := io.ReadAll(rd)
	masterErr := master.Wait()
	wg.Wait()
	fmt.Print(string(report))
	if *out != "" {
		if err := os.WriteFile(*out, report, 0o644); err != nil {
			return err
		}
	}
	return errors.Join(readErr, masterErr, errors.Join(errs...))
}
