package main

// The memory benchmark (go run ./bench -memory): many users that each wait
// 9–11 s between requests, so that what is measured is what a user costs
// to keep, not to run. herd's FastHTTPUser and HTTPUser at -memory-users
// (100,000) spawned at -memory-rate (10,000/s), and herd and Locust's
// FastHttpUser side by side at -memory-locust-users (10,000), each row
// reporting the generator's peak RSS and that divided by the users.
//
// Every user keeps its own connection. Loopback has ~28k ephemeral ports per
// address pair, so -memory-addrs targets (one process each) listen on
// 127.0.0.1 … 127.0.0.N and users take them in turn. The harness raises its
// open-file limit (setrlimit; children inherit it). When the hard limit
// cannot be raised far enough (no CAP_SYS_RESOURCE, as in some containers),
// herd runs as --processes K so that no process needs more descriptors than
// the limit, and the row's RSS is the peak of the whole process tree's.

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	memUsers       = flag.Int("memory-users", 100_000, "memory benchmark: herd's users")
	memRate        = flag.Float64("memory-rate", 10_000, "memory benchmark: herd's spawn rate (users/s)")
	memHold        = flag.Duration("memory-hold", 30*time.Second, "memory benchmark: how long the full user count runs")
	memAddrs       = flag.Int("memory-addrs", 8, "memory benchmark: target addresses 127.0.0.1 … 127.0.0.N")
	memLocustUsers = flag.Int("memory-locust-users", 10_000, "memory benchmark: users of the herd/Locust comparison (0 skips it)")
	memLocustRate  = flag.Float64("memory-locust-rate", 1_000, "memory benchmark: Locust's spawn rate")
	memStd         = flag.Bool("memory-std", true, "memory benchmark: also run herd's HTTPUser (net/http)")
	memLimit       = flag.String("memory-limit", "", "memory benchmark: herd's --memory-limit, comma-separated for one row each (empty: herd's default)")
)

// gcShare is the last "N%" of a GODEBUG=gctrace=1 log: the share of the
// process's time spent in garbage collection since it started.
var gcShare = regexp.MustCompile(`gc \d+ @[\d.]+s (\d+)%`)

// gcCPUField is a gctrace line's CPU times: "A+B/C/D+E ms cpu" (stop the
// world, assist/background/idle marking, mark termination).
var gcCPUField = regexp.MustCompile(`([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu`)

// gcCPU is the CPU time of every collection a GODEBUG=gctrace=1 log shows,
// of every process that wrote to it (with --processes, the workers' too):
// what runtime/metrics counts as /cpu/classes/gc/total.
func gcCPU(log []byte) time.Duration {
	var ms float64
	for _, m := range gcCPUField.FindAllSubmatch(log, -1) {
		for _, f := range m[1:] {
			v, _ := strconv.ParseFloat(string(f), 64)
			ms += v
		}
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// memRow is one line of the memory table.
type memRow struct {
	name            string
	users           int     // asked for
	reached         int     // users running at the end, from the tool's report
	rate            float64 // spawn rate
	runTime         time.Duration
	maxRSS          int64 // bytes
	cpu             time.Duration
	gc              string        // GC's share of the time, from gctrace; "" unknown
	gcCPU           time.Duration // every process's collections' CPU time, from gctrace
	requests, fails float64
	err             error
}

func runMemory(dir string) error {
	nofile, err := raiseNofile(uint64(max(*memUsers, *memLocustUsers)) + 10_000)
	if err != nil {
		return err
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		note("ephemeral ports (net.ipv4.ip_local_port_range): %s; %d target addresses",
			strings.Join(strings.Fields(string(b)), "–"), *memAddrs)
	}
	var hosts []string
	for i := 1; i <= *memAddrs; i++ {
		url, stop, err := startTarget(dir, nil, "-ip", fmt.Sprintf("127.0.0.%d", i))
		if err != nil {
			return err
		}
		defer stop()
		hosts = append(hosts, url)
	}
	note("targets on %s … %s", hosts[0], hosts[len(hosts)-1])
	if per := int(nofile) - 1000; *memUsers/len(hosts) > per {
		note("%d users over %d targets is more connections per target than the open-file limit allows: raise -memory-addrs", *memUsers, len(hosts))
	}

	var rows []memRow
	add := func(r memRow) {
		if r.err != nil {
			note("%s: %v", r.name, r.err)
		} else {
			note("%-26s %7d users %8.0f MiB peak RSS %6.0f bytes/user %8.0f requests %4.0f failures %5.1f GC CPU s",
				r.name, r.reached, float64(r.maxRSS)/(1<<20), float64(r.maxRSS)/float64(r.users), r.requests, r.fails, r.gcCPU.Seconds())
		}
		rows = append(rows, r)
	}
	hl := filepath.Join(dir, "herdload")
	perProcess := int(nofile) - 1000 // descriptors left for connections
	for _, limit := range strings.Split(*memLimit, ",") {
		add(runHerdMemory(hl, "herd FastHTTPUser", "IdleFast", *memUsers, *memRate, hosts, perProcess, limit))
	}
	if *memStd {
		add(runHerdMemory(hl, "herd HTTPUser", "IdleStd", *memUsers, *memRate, hosts, perProcess, ""))
	}
	if *memLocustUsers > 0 { // the herd/Locust comparison; 0 skips it
		add(runHerdMemory(hl, "herd FastHTTPUser", "IdleFast", *memLocustUsers, *memLocustRate, hosts, perProcess, ""))
		if *memStd {
			add(runHerdMemory(hl, "herd HTTPUser", "IdleStd", *memLocustUsers, *memLocustRate, hosts, perProcess, ""))
		}
		if r, ok := runLocustMemory(dir, *memLocustUsers, *memLocustRate, hosts); ok {
			add(r)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "| generator | users (reached) | spawn rate | run | peak RSS | bytes per user | CPU s | GC time | GC CPU s | requests | failures |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(&b, "| %s | %s | %s/s | %s | failed: %v | | | | | | |\n", r.name, thousands(float64(r.users)), thousands(r.rate), r.runTime, r.err)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s (%s) | %s/s | %s | %.0f MiB | %s | %.1f | %s | %.1f | %s | %s |\n",
			r.name, thousands(float64(r.users)), thousands(float64(r.reached)), thousands(r.rate), r.runTime,
			float64(r.maxRSS)/(1<<20), thousands(float64(r.maxRSS)/float64(r.users)), r.cpu.Seconds(),
			cmp.Or(r.gc, "–"), r.gcCPU.Seconds(), thousands(r.requests), thousands(r.fails))
	}
	fmt.Print(b.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}

// raiseNofile raises this process's open-file limit (soft and, with
// CAP_SYS_RESOURCE, hard) to at least n, and returns the limit in force;
// the targets and the generators inherit it.
func raiseNofile(n uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	old := lim
	if lim.Max < n {
		lim.Max = n
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		// The hard limit cannot be raised: as far as it goes.
		note("open-file hard limit %d cannot be raised to %d: %v", old.Max, n, err)
		lim = old
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raising the open-file limit: %w", err)
		}
	}
	note("open-file limit (ulimit -n) raised from %d to %d (setrlimit; children inherit it)", old.Cur, lim.Cur)
	return lim.Cur, nil
}

// memRunTime is the ramp plus the hold, in whole seconds.
func memRunTime(users int, rate float64) time.Duration {
	return time.Duration(math.Ceil(float64(users)/rate+memHold.Seconds())) * time.Second
}

// runHerdMemory runs one herd row; when users need more connections than
// perProcess, it runs herd as --processes K.
// limit is herd's --memory-limit ("": its default); GODEBUG=gctrace=1
// gives the row its GC share (the main process's, with --processes).
func runHerdMemory(hl, name, class string, users int, rate float64, hosts []string, perProcess int, limit string) memRow {
	r := memRow{name: name, users: users, rate: rate, runTime: memRunTime(users, rate)}
	args := []string{"--headless", "-u", strconv.Itoa(users), "-r", strconv.FormatFloat(rate, 'f', -1, 64),
		"-t", strconv.Itoa(int(r.runTime.Seconds())), "-H", hosts[0], "--only-summary", "--json"}
	if limit != "" {
		args = append(args, "--memory-limit", limit)
		r.name += " --memory-limit " + limit
	}
	if k := (users + perProcess - 1) / perProcess; k > 1 {
		args = append(args, "--processes", strconv.Itoa(k))
		r.name += fmt.Sprintf(" (--processes %d)", k)
	}
	c := exec.Command(hl, append(args, class)...)
	c.Env = append(os.Environ(), "HERDLOAD_HOSTS="+strings.Join(hosts, ","), "GODEBUG=gctrace=1")
	stdout, m, err := runMeasured(c)
	if err != nil {
		r.err = err
		return r
	}
	if all := gcShare.FindAllSubmatch(m.stderr, -1); len(all) > 0 {
		r.gc = string(all[len(all)-1][1]) + "%"
	}
	r.gcCPU = gcCPU(m.stderr)
	var doc struct {
		Users int `json:"user_count"`
		Total struct {
			Requests float64 `json:"num_requests"`
			Failures float64 `json:"num_failures"`
		} `json:"total"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		r.err = fmt.Errorf("herd JSON: %w (stderr: %s)", err, tail(m.stderr))
		return r
	}
	r.reached, r.requests, r.fails = doc.Users, doc.Total.Requests, doc.Total.Failures
	r.maxRSS, r.cpu = m.maxRSS, m.cpu
	return r
}

type measured struct {
	maxRSS int64 // bytes: the peak of the process tree's summed RSS
	cpu    time.Duration
	stderr []byte
}

// runMeasured runs c to its end and returns its standard output, its peak
// RSS (the process's own maxrss, or the highest sum over it and its
// descendants sampled every 100 ms, whichever is larger) and its CPU time
// (with its waited-for children's). A non-zero exit is not an error: herd
// and Locust exit 1 when a request failed, and the failures column shows it.
func runMeasured(c *exec.Cmd) ([]byte, measured, error) {
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		return nil, measured{}, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var top int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				peak <- top
				return
			case <-t.C:
				top = max(top, treeRSS(c.Process.Pid))
			}
		}
	}()
	runErr := c.Wait()
	close(done)
	m := measured{stderr: []byte(stderr.String()), maxRSS: <-peak}
	if c.ProcessState == nil {
		return nil, m, runErr
	}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = max(m.maxRSS, ru.Maxrss*1024) // KiB on Linux
	}
	m.cpu = c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	return []byte(stdout.String()), m, nil
}

// treeRSS is the resident memory of pid and all its descendants, in bytes.
func treeRSS(pid int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				children[pp] = append(children[pp], p)
			}
		}
	}
	var sum int64
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		queue = append(queue, children[p]...)
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/statm")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			sum += pages * int64(os.Getpagesize())
		}
	}
	return sum
}

// locustMemoryFile is an idle Locust user: like herd's IdleFast, it takes
// the target addresses in turn and waits 9–11 s between requests.
const locustMemoryFile = `import itertools
from locust import FastHttpUser, between, task

HOSTS = %q.split(",")
_next = itertools.count(1)


class Idle(FastHttpUser):
    wait_time = between(9, 11)

    def on_start(self):
        self.url = HOSTS[next(_next) %% len(HOSTS)] + "/"

    @task
    def index(self):
        self.client.get(self.url, name="/")
`

func runLocustMemory(dir string, users int, rate float64, hosts []string) (memRow, bool) {
	p, err := exec.LookPath("locust")
	if err != nil {
		note("locust not found (apt-get install -y python3-locust python3-geventhttpclient): no Locust row")
		return memRow{}, false
	}
	py := locustPython(p)
	if err := exec.Command(py, "-c", "import geventhttpclient").Run(); err != nil {
		note("%s cannot import geventhttpclient: no Locust row", py)
		return memRow{}, false
	}
	file := filepath.Join(dir, "locust_memory.py")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(locustMemoryFile, strings.Join(hosts, ","))), 0o644); err != nil {
		return memRow{name: "Locust FastHttpUser", err: err}, true
	}
	r := memRow{name: "Locust FastHttpUser", users: users, rate: rate, runTime: memRunTime(users, rate)}
	prefix := filepath.Join(dir, "memory")
	c := exec.Command(p, "-f", file, "--headless", "-u", strconv.Itoa(users), "-r", strconv.FormatFloat(rate, 'f', -1, 64),
		"-t", strconv.Itoa(int(r.runTime.Seconds()))+"s", "-H", hosts[0], "--only-summary", "--csv", prefix,
		"--loglevel", "WARNING")
	_, m, err := runMeasured(c)
	if err != nil {
		r.err = err
		return r, true
	}
	r.maxRSS, r.cpu = m.maxRSS, m.cpu
	if r.requests, r.fails, err = locustTotals(prefix + "_stats.csv"); err != nil {
		r.err = fmt.Errorf("%w (stderr: %s)", err, tail(m.stderr))
		return r, true
	}
	r.reached, _ = locustPeakUsers(prefix + "_stats_history.csv")
	return r, true
}

// locustPython is the interpreter of the locust script (its #! line), which
// is the one that must have geventhttpclient.
func locustPython(locust string) string {
	if b, err := os.ReadFile(locust); err == nil && strings.HasPrefix(string(b), "#!") {
		if f := strings.Fields(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "#!")); len(f) > 0 {
			return f[0]
		}
	}
	return "python3"
}

// locustTotals reads the Aggregated row's request and failure counts.
func locustTotals(path string) (requests, failures float64, err error) {
	rows, err := readCSV(path)
	if err != nil {
		return 0, 0, err
	}
	name, reqs, fails := slices.Index(rows[0], "Name"), slices.Index(rows[0], "Request Count"), slices.Index(rows[0], "Failure Count")
	if name < 0 || reqs < 0 || fails < 0 {
		return 0, 0, fmt.Errorf("locust CSV %s: no Name/Request Count/Failure Count column", path)
	}
	for _, r := range rows[1:] {
		if len(r) > max(reqs, fails) && r[name] == "Aggregated" {
			requests, err1 := strconv.ParseFloat(r[reqs], 64)
			failures, err2 := strconv.ParseFloat(r[fails], 64)
			return requests, failures, errors.Join(err1, err2)
		}
	}
	return 0, 0, fmt.Errorf("locust CSV %s: no Aggregated row", path)
}

// locustPeakUsers is the highest "User Count" in Locust's history CSV.
func locustPeakUsers(path string) (int, error) {
	rows, err := readCSV(path)
	if err != nil {
		return 0, err
	}
	col := slices.Index(rows[0], "User Count")
	if col < 0 {
		return 0, fmt.Errorf("locust CSV %s: no User Count column", path)
	}
	peak := 0
	for _, r := range rows[1:] {
		if len(r) > col {
			if n, err := strconv.Atoi(r[col]); err == nil {
				peak = max(peak, n)
			}
		}
	}
	return peak, nil
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("locust CSV %s: %v", path, err)
	}
	return rows, nil
}
