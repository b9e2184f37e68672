package main

// The fixed-rate benchmark (go run ./bench -rate 2000): every generator
// sends -rate requests a second over -conns connections (users) for
// -duration, so they all make the same number of requests and the only
// figure that separates them is the CPU each spends per request:
//
//	herd Fast   herdload --arrival-rate R/s -u C Fast (FastHTTPUser, open model)
//	bombardier  bombardier -r R -c C
//	vegeta      vegeta attack -rate R/s -workers C -max-workers C -max-connections C
//
//	k6          k6 run, a constant-arrival-rate scenario of R/s with C VUs
//
// Pinning, the target and the interleaving are those of the closed-loop
// table (main.go). k6 is AGPL: the harness runs the k6 binary a user
// installed, as it runs wrk; none of its code is in this repository.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

var rate = flag.Float64("rate", 0, "run the fixed-rate benchmark at this many requests/s instead (see rate.go)")

// runRate is the -rate mode.
func runRate(dir string) error {
	return runInterleaved(dir, rateTools(dir), fmt.Sprintf(" %g requests/s;", *rate), func(r result) string {
		return fmt.Sprintf("%9.0f requests %7.2f CPU s %6.1f µs/request", r.reqs, r.cpu.Seconds(), r.cpu.Seconds()/r.reqs*1e6)
	}, renderRate)
}

func rateTools(dir string) []tool {
	d := *duration
	secs := strconv.Itoa(int(math.Ceil(d.Seconds()))) + "s"
	c := strconv.Itoa(*conns)
	r := strconv.FormatFloat(*rate, 'f', -1, 64)
	var tools []tool

	hl := filepath.Join(dir, "herdload")
	tools = append(tools, tool{
		name: "herd Fast",
		build: func(url string) *exec.Cmd {
			return exec.Command(hl, "--headless", "-u", c, "-t", secs, "-H", url, "--arrival-rate", r+"/s",
				"--only-summary", "--json", "Fast")
		},
		count: herdCount,
	})
	if p, ok := findBombardier(); ok {
		tools = append(tools, tool{
			name: "bombardier",
			build: func(url string) *exec.Cmd {
				return exec.Command(p, "-c", c, "-d", d.String(), "-r", r, "-p", "r", "-o", "json", url+"/")
			},
			count: bombardierCount,
		})
	} else {
		note("bombardier not found (go install github.com/codesenberg/bombardier@v1.2.6): skipped")
	}
	if p, ok := findGoTool("vegeta", "-version", "Version: "); ok {
		targets := filepath.Join(dir, "vegeta-targets")
		results := filepath.Join(dir, "vegeta-results")
		tools = append(tools, tool{
			name: "vegeta",
			build: func(url string) *exec.Cmd {
				os.WriteFile(targets, []byte("GET "+url+"/\n"), 0o644)
				os.Remove(results)
				// -connections and -max-connections bound the idle and
				// open connections per host, as -c does for the others.
				return exec.Command(p, "attack", "-targets", targets, "-rate", r+"/s", "-duration", d.String(),
					"-workers", c, "-max-workers", c, "-connections", c, "-max-connections", c,
					"-keepalive", "-output", results)
			},
			// The results file is read after the run, by another process,
			// so the count costs vegeta's row nothing.
			count: func(_, _ []byte) (float64, error) { return vegetaCount(p, results) },
		})
	} else {
		note("vegeta not found (go install github.com/tsenart/vegeta/v12@v12.13.0): skipped")
	}
	if p, ok := findGoTool("k6", "version", "k6 v"); ok {
		script := filepath.Join(dir, "k6-rate.js")
		summary := filepath.Join(dir, "k6-summary.json")
		tools = append(tools, tool{
			name: "k6",
			build: func(url string) *exec.Cmd {
				os.WriteFile(script, []byte(k6Script(url+"/", *rate, *conns, secs)), 0o644)
				os.Remove(summary)
				return exec.Command(p, "run", "--quiet", "--no-usage-report", "--summary-export", summary, script)
			},
			count: func(_, _ []byte) (float64, error) { return k6Count(summary) },
		})
	} else {
		note("k6 not found (go install go.k6.io/k6@v1.8.1): skipped")
	}
	return tools
}

// k6Script is a k6 test that sends GET url at rate a second from conns
// VUs (one connection each, kept alive) for duration, bodies discarded as
// the other tools do.
func k6Script(url string, rate float64, conns int, duration string) string {
	return fmt.Sprintf(`import http from "k6/http";
export const options = {
  discardResponseBodies: true,
  scenarios: { fixed: { executor: "constant-arrival-rate", rate: %g, timeUnit: "1s",
    duration: %q, preAllocatedVUs: %d, maxVUs: %d } },
};
export default function () { http.get(%q); }
`, rate, duration, conns, conns, url)
}

// k6Count reads the requests k6 made from its summary export.
func k6Count(summary string) (float64, error) {
	b, err := os.ReadFile(summary)
	if err != nil {
		return 0, fmt.Errorf("k6 summary: %w", err)
	}
	var doc struct {
		Metrics struct {
			Reqs struct {
				Count float64 `json:"count"`
			} `json:"http_reqs"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("k6 summary JSON: %w", err)
	}
	return doc.Metrics.Reqs.Count, nil
}

// findGoTool finds a Go-installed tool on PATH or in Go's bin directory
// whose `name flag` output contains want.
func findGoTool(name, flag, want string) (string, bool) {
	var candidates []string
	if p, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, p)
	}
	if gobin, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(gobin)), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				candidates = append(candidates, filepath.Join(lines[0], name))
			}
			for _, gp := range filepath.SplitList(lines[1]) {
				candidates = append(candidates, filepath.Join(gp, "bin", name))
			}
		}
	}
	for _, p := range candidates {
		out, err := exec.Command(p, flag).CombinedOutput()
		if err == nil && bytes.Contains(out, []byte(want)) {
			return p, true
		}
	}
	return "", false
}

// vegetaCount counts the responses in a vegeta results file with
// `vegeta report -type json` (its "requests").
func vegetaCount(vegeta, results string) (float64, error) {
	out, err := exec.Command(vegeta, "report", "-type", "json", results).Output()
	if err != nil {
		return 0, fmt.Errorf("vegeta report: %w", err)
	}
	var doc struct {
		Requests    float64        `json:"requests"`
		StatusCodes map[string]int `json:"status_codes"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return 0, fmt.Errorf("vegeta report JSON: %w", err)
	}
	return doc.Requests, nil
}

// renderRate is the fixed-rate table: CPU µs per request, and the ratio
// to bombardier's in the same run.
func renderRate(tools []tool, results map[string][]result) string {
	return cpuTable(tools, results, cpuColumns{
		header: fmt.Sprintf("| tool (%g/s, %d connections) | req/s (median) | CPU µs per request: median (min–max) | ratio to bombardier | runs |", *rate, *conns),
		per:    1e6, base: "bombardier", format: "%.1f (%.1f–%.1f)",
	})
}
