package herd_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// onePing sends one request per iteration.
type onePing struct{ herd.HTTPUser }

func (u *onePing) Tasks() []herd.Task {
	return []herd.Task{{Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/ping").Err() }}}
}

// countRequests is a target that counts what it gets.
func countRequests(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// roomy lets the pool grow and iterations wait for a user rather than be
// dropped, so a starved machine (-race, a CPU hog) changes how long an
// exact run takes, not what it counts; dropping is the open model's own
// tests' subject (openmodel_test.go).
var roomy = []string{"--max-users", "100", "--max-lateness", "1m"}

// scheduleLen is the number of iterations of a finite rate profile.
func scheduleLen(t *testing.T, spec string, poisson bool) int64 {
	t.Helper()
	return scheduleLenSeed(t, spec, poisson, 1)
}

func scheduleLenSeed(t *testing.T, spec string, poisson bool, seed uint64) int64 {
	t.Helper()
	r, err := shape.ParseRate(spec)
	if err != nil {
		t.Fatal(err)
	}
	a := shape.NewArrivals(r, poisson, seed)
	var n int64
	for _, ok := a.Next(); ok; _, ok = a.Next() {
		n++
	}
	return n
}

// The master owns the rate and gives each of two herd workers its exact
// share: the target gets exactly the schedule's iterations, and the
// master's report counts the same, with none dropped. The run ends when
// the profile does, on every worker.
func TestDistributedArrivalRateIsExact(t *testing.T) {
	t.Parallel()
	ts, served := countRequests(t)
	const spec = "stages:1s:200,1s:200,1s:0" // 100 + 200 + 100
	want := scheduleLen(t, spec, false)
	if want != 400 {
		t.Fatalf("the profile has %d iterations, want 400", want)
	}
	var snap *herd.StatsSnapshot
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		if q.Node.Role() == herd.Master { // workers quit too, with their own statistics
			snap = q.Stats
		}
	})
	// -s: the last iterations may still run when the schedule ends.
	runCluster(t, test, 2, append([]string{"--arrival-rate", spec, "-u", "3", "-s", "10s", "-H", ts.URL, "--only-summary"}, roomy...)...)
	if got := served.Load(); got != want {
		t.Errorf("the target got %d requests, the schedule has %d", got, want)
	}
	if snap == nil {
		t.Fatal("no final statistics")
	}
	if int64(snap.Iterations) != want || snap.Dropped != 0 || int64(snap.Total.Requests) != want {
		t.Errorf("the master counted %d iterations, %d dropped, %d requests; want %d, 0, %d",
			snap.Iterations, snap.Dropped, snap.Total.Requests, want, want)
	}
}

// Poisson arrivals are shared the same way: every worker draws the same
// schedule (same seed) and takes its part.
func TestDistributedPoissonArrivalsAreShared(t *testing.T) {
	t.Parallel()
	ts, served := countRequests(t)
	const spec = "stages:start=150,2s:150"
	var snap *herd.StatsSnapshot
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		if q.Node.Role() == herd.Master { // workers quit too, with their own statistics
			snap = q.Stats
		}
	})
	c := startMaster(t, test, append([]string{"--expect-workers", "2", "--arrival-rate", spec, "--arrivals", "poisson", "-u", "2", "-s", "10s",
		"-H", ts.URL, "--only-summary"}, roomy...)...)
	c.addWorkers(t, test, 2)
	if code := c.wait(t); code != herd.ExitOK {
		t.Fatalf("master exit code %d\n%s", code, c.stderr.String())
	}
	if snap == nil {
		t.Fatal("no final statistics")
	}
	// The master drew the seed; the schedule of that seed is the truth.
	m := seedLog.FindStringSubmatch(c.stderr.String())
	if m == nil {
		t.Fatalf("no seed in the master's log:\n%s", c.stderr.String())
	}
	seed, _ := strconv.ParseUint(m[1], 10, 64)
	want := scheduleLenSeed(t, spec, true, seed)
	if got := served.Load(); got != want || int64(snap.Iterations) != want || snap.Dropped != 0 {
		t.Errorf("the target got %d requests, the master counted %d iterations (%d dropped); the schedule has %d",
			got, snap.Iterations, snap.Dropped, want)
	}
	if !strings.Contains(c.stderr.String(), "arrival-rate schedule finished") {
		t.Errorf("the run did not end with its schedule:\n%s", c.stderr.String())
	}
}

// A worker that joins during the run gets a share from a boundary in the
// near future, and the others give that part up from the same boundary:
// the target still gets exactly the schedule.
func TestDistributedArrivalRateResharesForAJoiningWorker(t *testing.T) {
	t.Parallel()
	ts, served := countRequests(t)
	const spec = "stages:start=200,4s:200"
	want := scheduleLen(t, spec, false)
	var snap *herd.StatsSnapshot
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		if q.Node.Role() == herd.Master { // workers quit too, with their own statistics
			snap = q.Stats
		}
	})
	c := startMaster(t, test, append([]string{"--expect-workers", "2", "--arrival-rate", spec, "-u", "2", "-s", "10s",
		"-H", ts.URL, "--only-summary"}, roomy...)...)
	c.addWorkers(t, test, 2)
	poll(t, "the first requests", func() bool { return served.Load() > 0 })
	c.addWorkers(t, test, 1)
	if code := c.wait(t); code != herd.ExitOK {
		t.Fatalf("master exit code %d\n%s", code, c.stderr.String())
	}
	if !strings.Contains(c.stderr.String(), "sharing the arrival rate anew") {
		t.Errorf("no re-share:\n%s", c.stderr.String())
	}
	if got := served.Load(); got != want || int64(snap.Iterations) != want || snap.Dropped != 0 {
		t.Errorf("the target got %d requests, the master counted %d iterations (%d dropped); the schedule has %d",
			got, snap.Iterations, snap.Dropped, want)
	}
}

// A worker that leaves during the run loses the iterations of its share
// due until the others take it over (the re-share boundary, 1 s ahead);
// everything that ran is counted, and the run still ends with the
// schedule. The loss is bounded by the master's own re-share boundary
// (logged), not by how fast it reacted.
func TestDistributedArrivalRateResharesForALeavingWorker(t *testing.T) {
	t.Parallel()
	ts, served := countRequests(t)
	const spec = "stages:start=300,4s:300"
	want := scheduleLen(t, spec, false)
	var snap *herd.StatsSnapshot
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		if q.Node.Role() == herd.Master { // workers quit too, with their own statistics
			snap = q.Stats
		}
	})
	c := startMaster(t, test, append([]string{"--expect-workers", "3", "--arrival-rate", spec, "-u", "9", "-s", "10s",
		"-H", ts.URL, "--only-summary"}, roomy...)...)
	c.addWorkers(t, test, 2)
	ctx, leave := context.WithCancel(context.Background())
	left := make(chan int, 1)
	go func() {
		left <- mainRun(test, ctx, herd.Env{Stderr: new(syncBuffer), Args: []string{
			"--worker", "--master-host", "127.0.0.1", "--master-port", c.port}})
	}()
	poll(t, "a quarter of the run", func() bool { return served.Load() > want/4 })
	leave()
	if code := <-left; code != herd.ExitOK {
		t.Errorf("the leaving worker exited with %d", code)
	}
	if code := c.wait(t); code != herd.ExitOK {
		t.Fatalf("master exit code %d\n%s", code, c.stderr.String())
	}
	got := served.Load()
	lost := want - got - int64(snap.Dropped)
	m := reshareFrom.FindStringSubmatch(c.stderr.String())
	if m == nil {
		t.Fatalf("no re-share in the master's log:\n%s", c.stderr.String())
	}
	from, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	// The others run every iteration from the boundary on: only the
	// leaver's share (every third) of the iterations due before it can be
	// lost, however late the master saw it leave.
	bound := (dueBefore(t, spec, from) + 2) / 3
	t.Logf("the target got %d of %d iterations, %d dropped, %d lost with the worker that left (re-shared from %v: at most %d)",
		got, want, snap.Dropped, lost, from, bound)
	if lost < 0 || lost > bound || int64(snap.Iterations) != got {
		t.Errorf("the target got %d requests, the master counted %d iterations (%d dropped); the schedule has %d",
			got, snap.Iterations, snap.Dropped, want)
	}
	if !strings.Contains(c.stderr.String(), "arrival-rate schedule finished") {
		t.Errorf("the run did not end with its schedule:\n%s", c.stderr.String())
	}
}

// A master refuses an arrival-rate run while a Locust worker is connected
// (it could not run its share), with a clear error and exit code 2.
func TestDistributedArrivalRateRefusesLocustWorkers(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
	c := startMaster(t, test, "--expect-workers", "2", "--arrival-rate", "10/s", "-u", "2", "-H", "http://127.0.0.1:1")
	c.addWorkers(t, test, 1)
	fakeLocustWorker(t, c.port)
	if code := c.wait(t); code != herd.ExitConfig {
		t.Fatalf("master exit code %d, want %d\n%s", code, herd.ExitConfig, c.stderr.String())
	}
	if out := c.stderr.String(); !strings.Contains(out, "--arrival-rate needs herd workers: Locust workers cannot run the open model") {
		t.Errorf("no clear refusal:\n%s", out)
	}
}

// fakeLocustWorker connects to the master as a Locust 2.12.1 worker does:
// client_ready, then a report without herd's extension and heartbeats.
func fakeLocustWorker(t testing.TB, port string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	id := wire.NewNodeID()
	d, err := transport.DialDealer(ctx, "tcp://127.0.0.1:"+port, id)
	if err != nil {
		t.Fatal(err)
	}
	send := func(p wire.Payload) {
		if frame, err := wire.EncodePayload(id, p); err == nil {
			d.Send(frame)
		}
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		d.Close()
		<-done
	})
	send(wire.ClientReadyVersion("2.12.1"))
	go func() {
		defer close(done)
		acked := false
		for {
			frame, err := d.Recv(ctx)
			if err != nil {
				return
			}
			m, err := wire.Decode(frame)
			if err == nil && m.Type == wire.TypeQuit {
				send(wire.Signal{Type: wire.TypeQuit})
			}
			if err == nil && m.Type == wire.TypeAck && !acked {
				acked = true
				send(wire.Heartbeat{State: wire.StateReady})
				send(wire.StatsReport{StatsTotal: wire.StatsEntry{Name: "Aggregated"},
					UserClassesCount: map[string]int{"Pinger": 0}})
			}
		}
	}()
}

// BenchmarkDistributedArrivalRate runs 2,000 iterations a second on a
// master with two herd workers, all in this process, against a fast local
// target, and reports the rate the target saw over the first 10 s from
// its first request, against the target rate (accuracy_% = 100 and
// error_% = 0 are exact; unserved counts iterations the master counted
// that the target did not see):
//
//	go test -run '^$' -bench DistributedArrivalRate -benchtime 1x .
func BenchmarkDistributedArrivalRate(b *testing.B) {
	const rate, window = 2000, 10 * time.Second
	for b.Loop() {
		var mu sync.Mutex
		var seen []time.Time
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := time.Now()
			mu.Lock()
			seen = append(seen, now)
			mu.Unlock()
		}))
		var snap *herd.StatsSnapshot
		test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePing) }}}}
		test.Events.OnQuitting(func(q *herd.Quit) {
			if q.Node.Role() == herd.Master { // workers quit too, with their own statistics
				snap = q.Stats
			}
		})
		c := startMaster(b, test, "--expect-workers", "2", "--arrival-rate", strconv.Itoa(rate)+"/s", "-u", "20",
			"--max-users", "200", "-t", "13s", "-s", "5s", "-H", ts.URL, "--only-summary")
		c.addWorkers(b, test, 2)
		if code := c.wait(b); code != herd.ExitOK {
			b.Fatalf("master exit code %d\n%s", code, c.stderr.String())
		}
		ts.Close()
		mu.Lock()
		slices.SortFunc(seen, func(a, b time.Time) int { return a.Compare(b) })
		var n int
		for _, t := range seen {
			if t.Sub(seen[0]) < window {
				n++
			}
		}
		served := len(seen)
		mu.Unlock()
		achieved := float64(n) / window.Seconds()
		b.ReportMetric(achieved, "achieved/s")
		b.ReportMetric(100*achieved/rate, "accuracy_%")
		b.ReportMetric(100*math.Abs(achieved-rate)/rate, "error_%")
		b.ReportMetric(float64(snap.Dropped), "dropped")
		// Every iteration the master counted reached the target.
		b.ReportMetric(float64(int(snap.Iterations)-served), "unserved")
	}
}

var reshareFrom = regexp.MustCompile(`sharing the arrival rate anew.* from=(\S+)`)

// dueBefore is the number of iterations of a uniform rate profile due
// before offset from.
func dueBefore(t *testing.T, spec string, from time.Duration) int64 {
	t.Helper()
	r, err := shape.ParseRate(spec)
	if err != nil {
		t.Fatal(err)
	}
	a := shape.NewArrivals(r, false, 1)
	var n int64
	for at, ok := a.Next(); ok && at < from; at, ok = a.Next() {
		n++
	}
	return n
}

var seedLog = regexp.MustCompile(`open model: the workers share the arrival rate.* seed=(\d+)`)

// cluster is a master running in this process, with workers added by the
// test.
type cluster struct {
	port   string
	stderr *syncBuffer
	stdout *syncBuffer
	done   chan int
	ws     chan int
	n      int
}

// startMaster runs test as a headless master bound to 127.0.0.1 with args.
func startMaster(t testing.TB, test *herd.Test, args ...string) *cluster {
	t.Helper()
	c := &cluster{stderr: new(syncBuffer), stdout: new(syncBuffer), done: make(chan int, 1), ws: make(chan int, 16)}
	go func() {
		c.done <- mainRun(test, context.Background(), herd.Env{Stdout: c.stdout, Stderr: c.stderr, Args: append([]string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--headless"}, args...)})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := masterPort.FindStringSubmatch(c.stderr.String()); m != nil {
			c.port = m[1]
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the master did not listen:\n%s", c.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// addWorkers starts n herd workers of test.
func (c *cluster) addWorkers(t testing.TB, test *herd.Test, n int) {
	for range n {
		c.n++
		go func() {
			c.ws <- mainRun(test, context.Background(), herd.Env{Stderr: new(syncBuffer), Args: []string{
				"--worker", "--master-host", "127.0.0.1", "--master-port", c.port}})
		}()
	}
}

// wait returns the master's exit code once it and its workers ended.
func (c *cluster) wait(t testing.TB) int {
	t.Helper()
	var code int
	select {
	case code = <-c.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the master did not finish:\n%s", c.stderr.String())
	}
	for range c.n {
		select {
		case wc := <-c.ws:
			if wc != 0 {
				t.Errorf("worker exit code %d", wc)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a worker did not quit with its master")
		}
	}
	return code
}
