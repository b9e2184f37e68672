// Command bench runs herd side by side with other load generators against
// the same tiny loopback target and prints a markdown table of requests per
// second and generator CPU seconds per 100k requests:
//
//	go run ./bench -duration 10s -conns 50 -runs 3
//
// It builds bench/target and bench/herdload into a temporary directory, pins
// the target to CPU 1 and the generator to CPU 0 with taskset (when there is
// taskset and more than one CPU), and runs every tool it finds (wrk, hey,
// bombardier, Locust with FastHttpUser and HttpUser, herd's Fast, Loop, Std and
// Custom users) interleaved -runs times. Traffic goes to 127.0.0.1 only.
// -memory, -processes, -scaling and -cluster run the other benchmarks
// instead (memory.go, processes.go, scaling.go, cluster.go).
// It is a main package without tests, so `go test ./...` only compiles it.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tool is one row of the table.
type tool struct {
	name  string
	build func(url string) *exec.Cmd
	// count returns the number of requests the run made, from its output.
	count func(stdout, stderr []byte) (float64, error)
}

type result struct {
	reqs float64
	cpu  time.Duration
	wall time.Duration
}

var (
	duration = flag.Duration("duration", 10*time.Second, "length of every run")
	conns    = flag.Int("conns", 50, "connections (users) per run")
	runs     = flag.Int("runs", 3, "interleaved runs per tool")
	out      = flag.String("out", "", "also write the markdown table to this file")
	only     = flag.String("only", "", "comma-separated tool names to run (default: all found)")

	memory    = flag.Bool("memory", false, "run the memory benchmark instead (see memory.go)")
	processes = flag.Bool("processes", false, "run the --processes benchmark instead (see processes.go)")
	clusterB  = flag.Bool("cluster", false, "run the cluster benchmark instead: one master, many workers (see cluster.go)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "herd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	programs := []string{"target", "herdload"}
	if runtime.GOOS == "linux" {
		programs = append(programs, "epollfloor") // floor.go
	}
	if *clusterB {
		programs = []string{"clusterscale"}
	}
	for _, p := range programs {
		b := exec.Command("go", "build", "-o", filepath.Join(dir, p), "github.com/herdload/herd/bench/"+p)
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("building %s: %w", p, err)
		}
	}

	if *clusterB {
		return runCluster(dir)
	}
	if *memory {
		return runMemory(dir)
	}
	if *processes {
		return runProcesses(dir)
	}
	if *scaling {
		return runScaling(dir)
	}
	if *all {
		return runAll(dir) // all.go
	}
	if *rate > 0 {
		return runRate(dir)
	}
	return runClosed(dir)
}

// runClosed is the closed-loop table, the default mode.
func runClosed(dir string) error {
	return runInterleaved(dir, findTools(dir), "", func(r result) string {
		return fmt.Sprintf("%12.0f requests %8.2f CPU s %7.0f req/s", r.reqs, r.cpu.Seconds(), r.reqs/duration.Seconds())
	}, render)
}

// runInterleaved runs tools (those -only names) -runs times, interleaved,
// against a target pinned apart from them, notes each run with what
// perRun says of it, and prints (and writes to -out) the table render
// makes of the results.
func runInterleaved(dir string, tools []tool, what string, perRun func(result) string,
	render func([]tool, map[string][]result) string) error {
	pinTarget, pinGen := pins()
	url, stopTarget, err := startTarget(dir, pinTarget)
	if err != nil {
		return err
	}
	defer stopTarget()

	if *only != "" {
		keep := strings.Split(*only, ",")
		tools = slices.DeleteFunc(tools, func(t tool) bool { return !slices.Contains(keep, t.name) })
	}
	if len(tools) == 0 {
		return errors.New("no tool to run")
	}
	note("target %s;%s %d tools × %d runs × %s", url, what, len(tools), *runs, *duration)

	results := map[string][]result{}
	for r := 1; r <= *runs; r++ {
		for _, t := range tools {
			res, err := runOne(t, pinGen, url)
			if err != nil {
				note("run %d %s: %v", r, t.name, err)
				continue
			}
			note("run %d %-22s %s", r, t.name, perRun(res))
			results[t.name] = append(results[t.name], res)
		}
	}

	table := render(tools, results)
	fmt.Print(table)
	if *out != "" {
		return os.WriteFile(*out, []byte(table), 0o644)
	}
	return nil
}

// pins returns the taskset prefixes for the target (CPU 1) and the
// generator (CPU 0), or none when taskset or a second CPU is missing.
func pins() (target, gen []string) {
	if _, err := exec.LookPath("taskset"); err != nil {
		note("taskset not found: target and generator are not pinned")
		return nil, nil
	}
	if runtime.NumCPU() < 2 {
		note("one CPU: target and generator are not pinned")
		return nil, nil
	}
	return []string{"taskset", "-c", "1"}, []string{"taskset", "-c", "0"}
}

// startTarget starts bench/target (prefixed with pin, e.g. taskset) with
// extra arguments and returns its base URL and a function that stops it.
func startTarget(dir string, pin []string, extra ...string) (url string, stop func(), err error) {
	args := append(slices.Clone(pin), filepath.Join(dir, "target"))
	args = append(args, extra...)
	target := exec.Command(args[0], args[1:]...)
	target.Stderr = os.Stderr
	tout, err := target.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := target.Start(); err != nil {
		return "", nil, fmt.Errorf("starting target: %w", err)
	}
	stop = func() { target.Process.Kill(); target.Wait() }
	line, err := bufio.NewReader(tout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("reading target address: %w", err)
	}
	go io.Copy(io.Discard, tout)
	return "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening on ")), stop, nil
}

func note(format string, args ...any) { fmt.Fprintf(os.Stderr, "# "+format+"\n", args...) }

func runOne(t tool, pin []string, url string) (result, error) {
	c := t.build(url)
	if len(pin) > 0 {
		// taskset execs the tool, so the child's rusage is the tool's.
		c.Args = append(slices.Clone(pin), c.Args...)
		p, err := exec.LookPath(pin[0])
		if err != nil {
			return result{}, err
		}
		c.Path = p
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := c.Run()
	wall := time.Since(start)
	if c.ProcessState == nil {
		return result{}, runErr
	}
	// herd and Locust exit 1 when a request failed; the count decides.
	n, err := t.count(stdout.Bytes(), stderr.Bytes())
	if err != nil {
		return result{}, fmt.Errorf("%v (exit: %v; stderr: %s)", err, runErr, tail(stderr.Bytes()))
	}
	if n == 0 {
		return result{}, fmt.Errorf("no requests (exit: %v; stderr: %s)", runErr, tail(stderr.Bytes()))
	}
	cpu := c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	return result{reqs: n, cpu: cpu, wall: wall}, nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}

func findTools(dir string) []tool {
	d := *duration
	secs := strconv.Itoa(int(math.Ceil(d.Seconds()))) + "s"
	c := strconv.Itoa(*conns)
	var tools []tool

	if p, err := exec.LookPath("wrk"); err == nil {
		tools = append(tools, tool{
			name:  "wrk",
			build: func(url string) *exec.Cmd { return exec.Command(p, "-t1", "-c"+c, "-d"+secs, url+"/") },
			count: regexCount(`(\d+) requests in`),
		})
	} else {
		note("wrk not found (apt-get install -y wrk): skipped")
	}
	if p, err := exec.LookPath("hey"); err == nil {
		// hey 0.1.4 (Debian) ends with "Status code distribution:" and one
		// "  [200]\tN responses" line per status.
		tools = append(tools, tool{
			name:  "hey",
			build: func(url string) *exec.Cmd { return exec.Command(p, "-z", d.String(), "-c", c, url+"/") },
			count: regexSum(`\[\d+\]\s+(\d+) responses`),
		})
	} else {
		note("hey not found (apt-get install -y hey): skipped")
	}
	if p, ok := findBombardier(); ok {
		// bombardier 1.2.6 prints one JSON document with -o json; its
		// "result" has req1xx … req5xx and others.
		tools = append(tools, tool{
			name: "bombardier",
			build: func(url string) *exec.Cmd {
				return exec.Command(p, "-c", c, "-d", d.String(), "-p", "r", "-o", "json", url+"/")
			},
			count: bombardierCount,
		})
	} else {
		note("bombardier not found (go install github.com/codesenberg/bombardier@v1.2.6; Debian's bombardier package is a game): skipped")
	}

	if p, err := exec.LookPath("locust"); err == nil {
		py := "python3"
		if b, err := os.ReadFile(p); err == nil && bytes.HasPrefix(b, []byte("#!")) {
			py = strings.Fields(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "#!"))[0]
		}
		for _, v := range []struct{ name, class, imp string }{
			{"Locust FastHttpUser", "FastHttpUser", "geventhttpclient"},
			{"Locust HttpUser", "HttpUser", "requests"},
		} {
			if err := exec.Command(py, "-c", "import "+v.imp).Run(); err != nil {
				note("%s: %s cannot import %s: skipped", v.name, py, v.imp)
				continue
			}
			file := filepath.Join(dir, "locust_"+v.class+".py")
			src := fmt.Sprintf("from locust import %s, task\n\n\nclass Bench(%s):\n    @task\n    def index(self):\n        self.client.get(\"/\")\n", v.class, v.class)
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				note("%s: %v", v.name, err)
				continue
			}
			prefix := filepath.Join(dir, "csv_"+v.class)
			tools = append(tools, tool{
				name: v.name,
				build: func(url string) *exec.Cmd {
					os.Remove(prefix + "_stats.csv")
					return exec.Command(p, "-f", file, "--headless", "-u", c, "-r", "1000", "-t", secs,
						"-H", url, "--only-summary", "--csv", prefix, "--loglevel", "WARNING")
				},
				count: func(_, _ []byte) (float64, error) { return locustCount(prefix + "_stats.csv") },
			})
		}
	} else {
		note("locust not found: skipped")
	}

	hl := filepath.Join(dir, "herdload")
	for _, class := range []string{"Fast", "Loop", "Std", "Custom"} {
		tools = append(tools, tool{
			name: "herd " + class,
			build: func(url string) *exec.Cmd {
				return exec.Command(hl, "--headless", "-u", c, "-r", "1000", "-t", secs, "-H", url,
					"--only-summary", "--json", class)
			},
			count: herdCount,
		})
	}
	return append(tools, floorTool(dir)...)
}

// findBombardier finds codesenberg's bombardier on PATH or in Go's bin
// directory (where go install puts it), and not Debian's game of that name
// (in /usr/games), which would wait for a terminal.
func findBombardier() (string, bool) {
	var candidates []string
	if p, err := exec.LookPath("bombardier"); err == nil {
		candidates = append(candidates, p)
	}
	if gobin, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(gobin)), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				candidates = append(candidates, filepath.Join(lines[0], "bombardier"))
			}
			for _, gp := range filepath.SplitList(lines[1]) {
				candidates = append(candidates, filepath.Join(gp, "bin", "bombardier"))
			}
		}
	}
	for _, p := range candidates {
		if strings.HasPrefix(p, "/usr/games/") {
			continue
		}
		out, err := exec.Command(p, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "bombardier version") {
			return p, true
		}
	}
	return "", false
}

func regexCount(expr string) func(stdout, stderr []byte) (float64, error) {
	re := regexp.MustCompile(expr)
	return func(stdout, _ []byte) (float64, error) {
		m := re.FindSubmatch(stdout)
		if m == nil {
			return 0, fmt.Errorf("no %q in output", expr)
		}
		return strconv.ParseFloat(string(m[1]), 64)
	}
}

func regexSum(expr string) func(stdout, stderr []byte) (float64, error) {
	re := regexp.MustCompile(expr)
	return func(stdout, _ []byte) (float64, error) {
		ms := re.FindAllSubmatch(stdout, -1)
		if ms == nil {
			return 0, fmt.Errorf("no %q in output", expr)
		}
		var n float64
		for _, m := range ms {
			v, err := strconv.ParseFloat(string(m[1]), 64)
			if err != nil {
				return 0, err
			}
			n += v
		}
		return n, nil
	}
}

func bombardierCount(stdout, _ []byte) (float64, error) {
	var doc struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		return 0, err
	}
	var n float64
	for _, k := range []string{"req1xx", "req2xx", "req3xx", "req4xx", "req5xx", "others"} {
		var v float64
		if raw, ok := doc.Result[k]; ok {
			if err := json.Unmarshal(raw, &v); err != nil {
				return 0, err
			}
		}
		n += v
	}
	return n, nil
}

func herdCount(stdout, _ []byte) (float64, error) {
	var doc struct {
		Total struct {
			Requests float64 `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		return 0, fmt.Errorf("herd JSON: %w", err)
	}
	return doc.Total.Requests, nil
}

func locustCount(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		return 0, fmt.Errorf("locust CSV %s: %v", path, err)
	}
	col, name := slices.Index(rows[0], "Request Count"), slices.Index(rows[0], "Name")
	if col < 0 || name < 0 {
		return 0, fmt.Errorf("locust CSV %s: no Name/Request Count column", path)
	}
	for _, r := range rows[1:] {
		if len(r) > col && r[name] == "Aggregated" {
			return strconv.ParseFloat(r[col], 64)
		}
	}
	return 0, fmt.Errorf("locust CSV %s: no Aggregated row", path)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// render is the closed-loop table: CPU seconds per 100k requests, and the
// ratio to wrk's in the same run.
func render(tools []tool, results map[string][]result) string {
	return cpuTable(tools, results, cpuColumns{
		header: "| tool | req/s (median) | CPU s per 100k requests: median (min–max) | ratio to wrk | runs |",
		per:    1e5, base: "wrk", format: "%.3g (%.3g–%.3g)",
	})
}

// cpuColumns says how cpuTable shows CPU per request: per this many
// requests, in this format, as a ratio to the base tool's.
type cpuColumns struct {
	header string
	per    float64
	base   string
	format string // median (min–max)
}

// cpuTable is a markdown table of each tool's median requests per second
// and CPU per request over its runs.
func cpuTable(tools []tool, results map[string][]result, c cpuColumns) string {
	type row struct {
		name                 string
		rps, cpu, cmin, cmax float64
		n                    int
	}
	var rows []row
	var base float64
	for _, t := range tools {
		rs := results[t.name]
		if len(rs) == 0 {
			continue
		}
		var rps, cpu []float64
		for _, r := range rs {
			rps = append(rps, r.reqs/duration.Seconds())
			cpu = append(cpu, r.cpu.Seconds()/r.reqs*c.per)
		}
		r := row{name: t.name, rps: median(rps), cpu: median(cpu), cmin: slices.Min(cpu), cmax: slices.Max(cpu), n: len(rs)}
		if t.name == c.base {
			base = r.cpu
		}
		rows = append(rows, r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n|---|---:|---:|---:|---:|\n", c.header)
	for _, r := range rows {
		ratio := "–"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f×", r.cpu/base)
		}
		fmt.Fprintf(&b, "| %s | %s | "+c.format+" | %s | %d |\n", r.name, thousands(r.rps), r.cpu, r.cmin, r.cmax, ratio, r.n)
	}
	return b.String()
}

func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
