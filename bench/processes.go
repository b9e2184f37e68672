package main

// The --processes benchmark (go run ./bench -processes): herd's Custom user
// (a task that only records a timing: no network, so no target can be the
// limit) in one process on one core, in one process on every core, and as
// --processes N (a master and N local workers, N = the number of CPUs).
// Throughput is the run's requests ÷ its duration, from herd's JSON report,
// medians of -runs interleaved runs.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

func runProcesses(dir string) error {
	hl := filepath.Join(dir, "herdload")
	n := runtime.NumCPU()
	secs := strconv.Itoa(int(duration.Seconds()))
	// Custom sends nothing, so no host is needed.
	base := []string{"--headless", "-u", strconv.Itoa(*conns), "-r", "1000", "-t", secs, "--only-summary", "--json"}
	type mode struct {
		name string
		args []string
	}
	modes := []mode{
		{"one process, one core (taskset -c 0)", append([]string{"taskset", "-c", "0", hl}, base...)},
		{fmt.Sprintf("one process, %d cores", n), append([]string{hl}, base...)},
		{fmt.Sprintf("--processes %d", n), append([]string{hl, "--processes", strconv.Itoa(n)}, base...)},
	}
	if _, err := exec.LookPath("taskset"); err != nil || n < 2 {
		note("taskset missing or one CPU: no one-core row")
		modes = modes[1:]
	}
	rates := map[string][]float64{}
	for r := 1; r <= *runs; r++ {
		for _, m := range modes {
			args := append(slices.Clone(m.args), "Custom")
			c := exec.Command(args[0], args[1:]...)
			stdout, meas, err := runMeasured(c)
			var doc struct {
				Duration float64 `json:"duration_s"`
				Total    struct {
					Requests float64 `json:"num_requests"`
				} `json:"total"`
			}
			if err == nil {
				err = json.Unmarshal(stdout, &doc)
			}
			if err == nil && (doc.Total.Requests == 0 || doc.Duration == 0) {
				err = fmt.Errorf("no requests")
			}
			if err != nil {
				note("run %d %s: %v (stderr: %s)", r, m.name, err, tail(meas.stderr))
				continue
			}
			rate := doc.Total.Requests / doc.Duration
			note("run %d %-40s %12.0f tasks/s  %6.1f CPU s", r, m.name, rate, meas.cpu.Seconds())
			rates[m.name] = append(rates[m.name], rate)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| herd Custom, %d users | tasks/s: median (min–max) | ratio to one core | runs |\n", *conns)
	fmt.Fprintf(&b, "|---|---:|---:|---:|\n")
	one := 0.0
	for _, m := range modes {
		rs := rates[m.name]
		if len(rs) == 0 {
			continue
		}
		med := median(rs)
		if one == 0 {
			one = med
		}
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %.2f× | %d |\n", m.name, thousands(med), thousands(slices.Min(rs)),
			thousands(slices.Max(rs)), med/one, len(rs))
	}
	fmt.Print(b.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}
