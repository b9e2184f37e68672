package main

// The scaling benchmark (go run ./bench -scaling): how herd's throughput
// grows with cores. Two workloads, each at 1 core and at every core of the
// machine:
//
//   - Custom: a task that only records a timing (no network, so nothing
//     but herd can be the limit);
//   - Fast: FastHTTPUser's GET / against bench/target (the target shares
//     the machine: at 1 core it is pinned to CPU 1 and herd to CPU 0; at
//     every core neither is pinned, so the target takes part of herd's
//     CPUs and requests/s are bounded by it; requests per CPU second,
//     herd's own, stay comparable).
//
// Three ways to run each: one process with GOMAXPROCS=1 pinned to CPU 0;
// one process with GOMAXPROCS = the CPUs; --processes -1 (a master and one
// worker per CPU, each worker with GOMAXPROCS=1). Every row reports
// requests/s (herd's JSON report: requests ÷ duration), the cores herd kept
// busy (its CPU time, children's included, ÷ wall time), requests per CPU
// second ("per core") and that figure's ratio to the 1-core row's: 1.00
// means the extra cores cost nothing per request.

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

var scaling = flag.Bool("scaling", false, "run the multi-core scaling benchmark instead (see scaling.go)")

// scaleMode is one way to run herdload: a command prefix and environment.
type scaleMode struct {
	name  string
	cores int
	pre   []string // before herdload: taskset
	args  []string // after herdload's path, before the common flags
	env   []string
}

// scaleResult is one run.
type scaleResult struct {
	rate   float64 // requests/s
	cores  float64 // CPU s ÷ wall s
	perCPU float64 // requests per CPU second
}

func runScaling(dir string) error {
	hl := filepath.Join(dir, "herdload")
	n := runtime.NumCPU()
	secs := strconv.Itoa(int(duration.Seconds()))
	pinned := true
	if _, err := exec.LookPath("taskset"); err != nil || n < 2 {
		note("taskset missing or one CPU: the 1-core row is not pinned")
		pinned = false
	}
	modes := scaleModes(n, pinned)

	var pinTarget []string
	if pinned {
		pinTarget = []string{"taskset", "-c", "1"}
	}
	// One target for the 1-core rows (pinned to CPU 1) and one for the
	// others (unpinned).
	urlPinned, stopPinned, err := startTarget(dir, pinTarget)
	if err != nil {
		return err
	}
	defer stopPinned()
	urlFree, stopFree, err := startTarget(dir, nil)
	if err != nil {
		return err
	}
	defer stopFree()

	type key struct{ class, mode string }
	results := map[key][]scaleResult{}
	classes := []string{"Custom", "Fast"}
	for r := 1; r <= *runs; r++ {
		for _, class := range classes {
			for _, m := range modes {
				url := urlFree
				if m.cores == 1 {
					url = urlPinned
				}
				res, err := runScaleOne(hl, m, class, url, secs)
				if err != nil {
					note("run %d %s %s: %v", r, class, m.name, err)
					continue
				}
				note("run %d %-6s %-40s %12.0f req/s %5.2f cores %12.0f req per CPU s", r, class, m.name, res.rate, res.cores, res.perCPU)
				k := key{class, m.name}
				results[k] = append(results[k], res)
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "| user | how | req/s: median (min–max) | cores busy | req per CPU s (per core) | ratio to 1 core | runs |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|\n")
	for _, class := range classes {
		one := 0.0
		for _, m := range modes {
			rs := results[key{class, m.name}]
			if len(rs) == 0 {
				continue
			}
			var rates, cores, per []float64
			for _, r := range rs {
				rates, cores, per = append(rates, r.rate), append(cores, r.cores), append(per, r.perCPU)
			}
			p := median(per)
			if m.cores == 1 {
				one = p
			}
			ratio := "–"
			if one > 0 {
				ratio = fmt.Sprintf("%.2f×", p/one)
			}
			fmt.Fprintf(&b, "| %s | %s | %s (%s–%s) | %.2f | %s | %s | %d |\n", class, m.name, thousands(median(rates)),
				thousands(slices.Min(rates)), thousands(slices.Max(rates)), median(cores), thousands(p), ratio, len(rs))
		}
	}
	fmt.Print(b.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}

// scaleModes are the ways to run herdload on a machine with n CPUs.
func scaleModes(n int, pinned bool) []scaleMode {
	one := scaleMode{name: "1 core: one process, GOMAXPROCS=1", cores: 1, env: []string{"GOMAXPROCS=1"}}
	if pinned {
		one.name += ", CPU 0"
		one.pre = []string{"taskset", "-c", "0"}
	}
	return []scaleMode{
		one,
		{name: fmt.Sprintf("%d cores: one process, GOMAXPROCS=%d", n, n), cores: n, env: []string{"GOMAXPROCS=" + strconv.Itoa(n)}},
		// Each worker is a process of its own: GOMAXPROCS=1 is what a
		// worker per core should have (the master mostly waits).
		{name: fmt.Sprintf("%d cores: --processes -1", n), cores: n, args: []string{"--processes", "-1"}, env: []string{"GOMAXPROCS=1"}},
	}
}

// runScaleOne runs herdload once in mode m with the user class against url.
func runScaleOne(hl string, m scaleMode, class, url, secs string) (scaleResult, error) {
	args := append(slices.Clone(m.pre), hl)
	args = append(args, m.args...)
	args = append(args, "--headless", "-u", strconv.Itoa(*conns), "-r", "1000", "-t", secs, "-H", url,
		"--only-summary", "--json", class)
	c := exec.Command(args[0], args[1:]...)
	c.Env = append(os.Environ(), m.env...)
	start := time.Now()
	stdout, meas, err := runMeasured(c)
	wall := time.Since(start)
	if err != nil {
		return scaleResult{}, err
	}
	var doc struct {
		Duration float64 `json:"duration_s"`
		Total    struct {
			Requests float64 `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		return scaleResult{}, fmt.Errorf("herd JSON: %w (stderr: %s)", err, tail(meas.stderr))
	}
	if doc.Total.Requests == 0 || doc.Duration == 0 || meas.cpu == 0 {
		return scaleResult{}, fmt.Errorf("no requests (stderr: %s)", tail(meas.stderr))
	}
	return scaleResult{
		rate:   doc.Total.Requests / doc.Duration,
		cores:  meas.cpu.Seconds() / wall.Seconds(),
		perCPU: doc.Total.Requests / meas.cpu.Seconds(),
	}, nil
}
