package e2e

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mode is how herd runs.
type mode int

const (
	standalone    mode = iota // one process, --headless
	processes                 // --processes 2
	herdWorkers               // herd master, 2 herd worker processes
	locustWorkers             // herd master, 2 Locust workers
	locustMaster              // Locust master, 2 herd workers; judged by Locust's console summary
)

var modeNames = [...]string{"standalone", "processes", "herd-workers", "locust-workers", "locust-master"}

func (m mode) String() string { return modeNames[m] }

// end is how a run ends.
type end int

const (
	runTime    end = iota // -t
	ctrlC                 // SIGINT once, as Ctrl-C in the terminal (SIGTERM to a Locust master: see drive)
	stopTest              // a task returns herd.ErrStopTest
	threshold             // a --threshold ...;abort breaks
	shapeEnd              // the end of a --shape (a LoadTestShape on a Locust master)
	arrivalEnd            // the end of an --arrival-rate schedule
	webStop               // Stop in the web UI
)

var endNames = [...]string{"run-time", "ctrl-c", "stop-test", "threshold", "shape", "arrival-rate", "web-stop"}

func (e end) String() string { return endNames[e] }

// matrixCase is one (mode, end) pair.
type matrixCase struct {
	mode mode
	end  end
	// na says why the pair does not exist; the case is skipped.
	na string
	// refused is what the master says when it refuses the run (the case
	// then checks the refusal instead of counts).
	refused string
}

// matrix is every (mode, end) pair, in that order.
var matrix = []matrixCase{
	{mode: standalone, end: runTime},
	{mode: standalone, end: ctrlC},
	{mode: standalone, end: stopTest},
	{mode: standalone, end: threshold},
	{mode: standalone, end: shapeEnd},
	{mode: standalone, end: arrivalEnd},
	{mode: standalone, end: webStop},

	{mode: processes, end: runTime},
	{mode: processes, end: ctrlC},
	{mode: processes, end: stopTest},
	{mode: processes, end: threshold},
	{mode: processes, end: shapeEnd},
	{mode: processes, end: arrivalEnd},
	{mode: processes, end: webStop},

	{mode: herdWorkers, end: runTime},
	{mode: herdWorkers, end: ctrlC},
	{mode: herdWorkers, end: stopTest},
	{mode: herdWorkers, end: threshold},
	{mode: herdWorkers, end: shapeEnd},
	{mode: herdWorkers, end: arrivalEnd},
	{mode: herdWorkers, end: webStop},

	{mode: locustWorkers, end: runTime},
	{mode: locustWorkers, end: ctrlC},
	{mode: locustWorkers, end: stopTest, na: "Locust 2.12.1 has no StopTest (runner.quit() in a worker task does not tell the master), so a Locust user cannot stop the test"},
	{mode: locustWorkers, end: threshold},
	{mode: locustWorkers, end: shapeEnd},
	{mode: locustWorkers, end: arrivalEnd, refused: "--arrival-rate needs herd workers"},
	{mode: locustWorkers, end: webStop},

	{mode: locustMaster, end: runTime},
	{mode: locustMaster, end: ctrlC},
	{mode: locustMaster, end: stopTest},
	{mode: locustMaster, end: threshold, na: "thresholds are herd's: a Locust master has no --threshold"},
	{mode: locustMaster, end: shapeEnd},
	{mode: locustMaster, end: arrivalEnd, na: "the open model is herd's: a Locust master has no --arrival-rate"},
	{mode: locustMaster, end: webStop},
}

// The run every case makes.
const (
	users = 4
	// gateAfter is how many requests the target answers before it holds
	// every request: enough to reach every endpoint, few enough to be
	// over soon after the start.
	gateAfter = 30
	// graceHold is how long the target holds a request in the cases that
	// stop users gracefully: much shorter than their stop timeout,
	// graceStop seconds.
	graceHold = 250 * time.Millisecond
	graceStop = 2
	// trip is the threshold the threshold cases break (by /trip's failure).
	trip = "GET /trip: failures<1;abort"
	// attempts bounds how often a case runs again, each time stretchScale
	// times longer, when its run could not be measured: a run time, shape
	// or schedule that ended before every user held a request (a slow or
	// busy machine), or a graceful stop timeout that killed a request.
	attempts     = 3
	stretchScale = 3
)

func TestMatrix(t *testing.T) {
	for _, tc := range matrix {
		t.Run(tc.mode.String()+"/"+tc.end.String(), func(t *testing.T) {
			if tc.na != "" {
				t.Skip("N/A: " + tc.na)
			}
			t.Parallel()
			if tc.mode == locustWorkers || tc.mode == locustMaster {
				needLocust(t)
			}
			scale := 1
			for attempt := 1; ; attempt++ {
				why := newRun(t, tc, scale).do()
				if why == "" {
					return
				}
				if attempt == attempts {
					t.Fatalf("harness: the run cannot be measured (%s), even %dx longer", why, scale)
				}
				scale *= stretchScale
				t.Logf("the run cannot be measured (%s): running it again, %dx longer", why, scale)
			}
		})
	}
}

// run is one attempt at a case.
type run struct {
	t  *testing.T
	tc matrixCase
	tg *target
	// scale stretches the run time, the shape, the schedule and the
	// graceful stop timeout.
	scale int
	// graceful: users stop gracefully (-s graceStop) and the target holds
	// requests for graceHold, because Locust workers drop the request of a
	// user they kill; otherwise users are killed (-s 0) with requests the
	// target never answers, which must count as failures.
	graceful bool
	dir      string
	main     *proc   // the master or standalone process: its outputs are judged
	workers  []*proc // separate worker processes
	web      string  // the web UI's base URL, in web-stop cases
	// userProcs is how many processes run users.
	userProcs int
	extra     []*view // outputs read while the run was up (/stats/requests)
}

func newRun(t *testing.T, tc matrixCase, scale int) *run {
	r := &run{t: t, tc: tc, scale: scale, graceful: tc.mode == locustWorkers, dir: t.TempDir(), userProcs: 2}
	hold := time.Duration(0)
	if r.graceful {
		hold = graceHold
	}
	r.tg = newTarget(t, gateAfter, hold)
	if tc.mode == standalone {
		r.userProcs = 1
	}
	return r
}

func (r *run) path(name string) string { return filepath.Join(r.dir, name) }

// seconds is n seconds stretched by the run's scale, as a flag value.
func (r *run) seconds(n float64) string {
	return strconv.FormatFloat(n*float64(r.scale), 'f', -1, 64) + "s"
}

// do runs the case and checks it. It returns why the run cannot be
// measured, or "" once it was.
func (r *run) do() string {
	t := r.t
	if r.tc.mode == locustMaster {
		r.startLocustMaster()
	} else {
		r.startHerdMain()
	}
	if r.tc.refused != "" {
		r.checkRefused()
		return ""
	}
	r.drive()

	code := r.main.exitCode(t)
	for _, w := range r.workers {
		w.exitCode(t)
	}
	var counts map[endpoint]tally
	waitFor(t, "the target to settle every request", func() (ok bool) {
		counts, ok = r.tg.counts()
		return ok
	})
	held, signalled, gone := r.tg.firstGone()
	switch {
	case r.graceful && gone:
		return fmt.Sprintf("a request lost its client, %d held: users were killed at the end of -s %d", held, graceStop*r.scale)
	case !r.graceful && (!gone || held+signalled != users):
		// Only a run that ends on its own clock can get here: the driver
		// stops the others once every user holds a request.
		return fmt.Sprintf("the run ended with %d of %d users holding a request (%d signalled)", held, users, signalled)
	}
	if len(counts) == 0 {
		t.Fatal("the target saw no request")
	}

	want := 0
	switch {
	case r.tc.end == threshold:
		want = 4 // herd.ExitThreshold
	case r.tc.mode == locustMaster:
		want = 1 // Locust fails a run with any failure; its herd workers report their cut requests as failures
	case r.tg.failsRun():
		want = 1 // herd's rule: see target.failsRun
	}
	if code != want {
		t.Errorf("%s exited with %d, want %d", r.main.name, code, want)
	}
	var views []*view
	if r.tc.mode == locustMaster {
		// Locust's own CSV is known to lag behind its workers' last
		// reports; its console summary is what it ends with.
		views = append(views, r.locustConsole()...)
	} else {
		v, ev := consoleSummary("console summary", r.main.stdout.String())
		views = append(views, v, ev)
		views = append(views, csvViews(r.path("run"))...)
		views = append(views, jsonViews(r.path("report.json"))...)
		views = append(views, htmlViews(r.path("report.html"))...)
	}
	views = append(views, r.extra...)
	if diffs := differences(views, counts); len(diffs) > 0 {
		t.Errorf("outputs differ from the target's count %s:\n%s", formatCounts(counts), strings.Join(diffs, "\n"))
	} else {
		t.Logf("%d outputs agree with the target: %s", len(views), formatCounts(counts))
	}
	return ""
}

func formatCounts(c map[endpoint]tally) string {
	var parts []string
	for _, name := range []string{"/fast", "/fail", "/stall", "/trip"} {
		if tl, ok := c[endpoint{"GET", name}]; ok {
			parts = append(parts, fmt.Sprintf("%s %d/%d", name, tl.requests, tl.failures))
		}
	}
	return "(requests/failures: " + strings.Join(parts, ", ") + ")"
}

var (
	masterPortLog = regexp.MustCompile(`master listening for workers"? port=(\d+)`)
	webURLLog     = regexp.MustCompile(`web UI ready[^\n]* url=(\S+)`)
)

// startHerdMain starts the herd process whose outputs are judged, and any
// separate workers.
func (r *run) startHerdMain() {
	t, tc := r.t, r.tc
	stop := 0
	if r.graceful {
		stop = graceStop * r.scale
	}
	args := []string{"-H", r.tg.URL, "-s", strconv.Itoa(stop), "--only-summary",
		"--csv", r.path("run"), "--csv-full-history", "--json-file", r.path("report.json"), "--html", r.path("report.html")}
	if tc.end == webStop {
		args = append(args, "--autostart", "--web-host", "127.0.0.1", "-P", "0")
	} else {
		args = append(args, "--headless")
	}
	switch tc.end {
	case runTime:
		args = append(args, "-t", r.seconds(3))
	case threshold:
		args = append(args, "--threshold", trip)
	case shapeEnd:
		// 2 users, then 4: testdata/locustfile.py's Shape.
		args = append(args, "--shape", "stages:"+r.seconds(1)+":2:100,"+r.seconds(2)+":4:100")
	case arrivalEnd:
		// Iterations still queued at the schedule's end (every user holds
		// a request) wait --max-lateness before they count as dropped.
		args = append(args, "--arrival-rate", "stages:"+r.seconds(0.5)+":50,"+r.seconds(2.5)+":50",
			"--max-users", strconv.Itoa(users), "--max-lateness", "1s")
	}
	if tc.end != shapeEnd {
		args = append(args, "-u", strconv.Itoa(users), "-r", "100")
	}
	switch tc.mode {
	case processes:
		// Its master binds the default port unless told otherwise, and
		// cases run in parallel.
		args = append(args, "--processes", "2", "--master-bind-port", "0")
	case herdWorkers, locustWorkers:
		args = append(args, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "2")
	}
	r.main = startHerd(t, "herd "+tc.mode.String(), args...)
	if tc.mode == herdWorkers || tc.mode == locustWorkers {
		port := r.main.logged(t, masterPortLog)
		for i := range 2 {
			name := fmt.Sprintf("worker %d", i+1)
			if tc.mode == herdWorkers {
				r.workers = append(r.workers, startHerd(t, "herd "+name, "--worker", "--master-host", "127.0.0.1", "--master-port", port))
			} else {
				r.workers = append(r.workers, startProc(t, "locust "+name, nil, locustBin,
					"-f", locustfile(t), "--worker", "--master-host", "127.0.0.1", "--master-port", port))
			}
		}
	}
	if tc.end == webStop {
		r.web = strings.TrimRight(r.main.logged(t, webURLLog), "/")
	}
}

// startLocustMaster starts a Locust master and two herd workers.
func (r *run) startLocustMaster() {
	t := r.t
	var port string
	for try := 1; ; try++ {
		if port = r.tryLocustMaster(); port != "" {
			break
		}
		if try == 3 {
			t.Fatal("the Locust master found its ports busy 3 times")
		}
	}
	for i := range 2 {
		r.workers = append(r.workers, startHerd(t, fmt.Sprintf("herd worker %d", i+1),
			"--worker", "--master-host", "127.0.0.1", "--master-port", port))
	}
}

// tryLocustMaster starts a Locust master on ports free a moment ago (Locust
// cannot pick one and say which) and waits until it listens, for workers
// and (web-stop) for browsers. It returns the master's port, or "" when a
// port was taken meanwhile; the master is then gone.
func (r *run) tryLocustMaster() string {
	t, tc := r.t, r.tc
	port := strconv.Itoa(freePort(t))
	args := []string{"-f", locustfile(t), "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--expect-workers", "2", "-H", r.tg.URL, "-s", "0", "--only-summary"}
	var env []string
	switch tc.end {
	case runTime:
		args = append(args, "-t", r.seconds(3))
	case shapeEnd:
		env = append(env, "E2E_SHAPE="+strconv.Itoa(r.scale))
	}
	if tc.end != shapeEnd {
		args = append(args, "-u", strconv.Itoa(users), "-r", "100")
	}
	webPort := 0
	if tc.end == webStop {
		webPort = freePort(t)
		args = append(args, "--autostart", "--web-host", "127.0.0.1", "-P", strconv.Itoa(webPort))
	} else {
		args = append(args, "--headless")
	}
	p := startProc(t, "locust master", env, locustBin, args...)
	busy := func() bool { return p.exited() || strings.Contains(p.stderr.String(), "Address already in use") }
	listening := false
	waitFor(t, "the Locust master to listen", func() bool {
		listening = strings.Contains(p.stderr.String(), "Waiting for workers to be ready")
		return listening || busy()
	})
	if listening && webPort != 0 {
		web := "http://127.0.0.1:" + strconv.Itoa(webPort)
		waitFor(t, "Locust's web UI", func() bool {
			var doc struct {
				State string `json:"state"`
			}
			listening = getJSON(web+"/stats/requests", &doc) == nil && doc.State != ""
			return listening || busy()
		})
		r.web = web
	}
	if !listening || busy() {
		p.kill()
		return ""
	}
	r.main = p
	return port
}

func locustfile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "locustfile.py"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort is a port free a moment ago, for Locust, which cannot pick one
// and say which.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitTrigger waits until the run may be stopped: every user holds a
// request (killed users then leave nothing uncounted), or, when users stop
// gracefully, the run is past the gate with a request in flight.
func (r *run) waitTrigger() {
	if r.graceful {
		waitFor(r.t, "a request in flight past the gate", r.tg.gatedAndHolding)
		return
	}
	waitFor(r.t, "every user to hold a request", func() bool { return r.tg.quiet(users) })
}

// drive ends the run the case's way (the run time, the shape and the
// schedule end on their own).
func (r *run) drive() {
	t := r.t
	switch r.tc.end {
	case ctrlC:
		r.waitTrigger()
		if r.tc.mode == locustMaster {
			// Locust 2.12.1's SIGINT is Python's KeyboardInterrupt, which
			// can land inside a gevent callback and lose its workers' last
			// reports (seen once in ten runs, Locust's doing, not its herd
			// workers'); its SIGTERM is the graceful stop it handles.
			r.main.terminate(t)
		} else {
			r.main.interrupt(t)
		}
	case stopTest:
		r.waitTrigger()
		if n := r.tg.signal("stop", true); n != r.userProcs {
			t.Fatalf("signalled stop to %d processes' users, want %d", n, r.userProcs)
		}
	case threshold:
		r.waitTrigger()
		waitFor(t, "a held request to halt", func() bool { return r.tg.signal("halt", false) == 1 })
	case webStop:
		r.waitTrigger()
		r.stopInUI()
		if r.tc.mode != locustMaster {
			r.extra = statsRequests(r.web)
		}
		r.main.interrupt(t)
	}
}

// stopInUI presses Stop in the web UI (herd's UI posts same-origin; Locust
// 2.12's /stop is a GET) and waits until the UI says the test stopped.
func (r *run) stopInUI() {
	t := r.t
	method := http.MethodPost
	if r.tc.mode == locustMaster {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, r.web+"/stop", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", r.web)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := webClient.Do(req)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Stop: %s", resp.Status)
	}
	waitFor(t, "the web UI to say stopped", func() bool {
		var doc struct {
			State string `json:"state"`
		}
		return getJSON(r.web+"/stats/requests", &doc) == nil && doc.State == "stopped"
	})
}

// checkRefused checks that the master refused the run and nothing ran.
func (r *run) checkRefused() {
	t := r.t
	if code := r.main.exitCode(t); code != 2 {
		t.Errorf("%s exited with %d, want 2 (herd.ExitConfig)", r.main.name, code)
	}
	if !strings.Contains(r.main.stderr.String(), r.tc.refused) {
		t.Errorf("%s did not say %q", r.main.name, r.tc.refused)
	}
	if c, _ := r.tg.counts(); len(c) > 0 {
		t.Errorf("the target saw requests: %v", c)
	}
}

// locustConsole reads the Locust master's final console summary.
func (r *run) locustConsole() []*view {
	out := r.main.stdout.String()
	if !statsHeader.MatchString(out) {
		out = r.main.stderr.String()
	}
	v, ev := consoleSummary("Locust console summary", out)
	return []*view{v, ev}
}
