package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// fakeController is a Controller that records what the web layer asks.
type fakeController struct {
	mu          sync.Mutex
	status      Status
	snap        *stats.Snapshot
	history     []stats.HistoryRow
	tasks       TaskRatio
	fullHistory string
	thresholds  []threshold.Result
	swarmErr    error

	swarms        []SwarmRequest
	stops, resets int
	historyCalls  int
}

func newFake() *fakeController {
	return &fakeController{
		status: Status{
			State: StateReady, Host: "http://target.test", SpawnRate: 1,
			UserClasses: []UserClass{{Name: "WebUser", Weight: 3}, {Name: "APIUser", Weight: 1, FixedCount: 2}},
		},
		snap:    sampleSnapshot(),
		history: sampleHistory(3),
		tasks: TaskRatio{
			PerClass: map[string]ClassRatio{"WebUser": {Ratio: 1, Tasks: map[string]ClassRatio{"index": {Ratio: 1}}}},
			Total:    map[string]ClassRatio{"WebUser": {Ratio: 1, Tasks: map[string]ClassRatio{"index": {Ratio: 1}}}},
		},
	}
}

func (f *fakeController) Swarm(req SwarmRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.swarmErr != nil {
		return f.swarmErr
	}
	f.swarms = append(f.swarms, req)
	f.status.State = StateSpawning
	f.status.TargetUsers = req.Users
	f.status.SpawnRate = req.SpawnRate
	if req.Host != "" {
		f.status.Host = req.Host
	}
	return nil
}

func (f *fakeController) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
}

func (f *fakeController) ResetStats() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets++
}

func (f *fakeController) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeController) Snapshot() *stats.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeController) History() []stats.HistoryRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.historyCalls++
	return f.history
}

func (f *fakeController) TaskRatio() TaskRatio {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tasks
}

func (f *fakeController) FullHistoryCSV() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fullHistory
}

func (f *fakeController) Thresholds() []threshold.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.thresholds
}

// calls reports how often the state-changing methods were called.
func (f *fakeController) calls() (swarms, stops, resets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.swarms), f.stops, f.resets
}

func (f *fakeController) lastSwarm() SwarmRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.swarms[len(f.swarms)-1]
}

// xssName is an endpoint name that would run script if shown unescaped.
const xssName = `<img src=x onerror=alert(1)>`

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func ps(msEach ...float64) []time.Duration {
	out := make([]time.Duration, len(stats.Percentiles))
	for i := range out {
		v := msEach[min(i, len(msEach)-1)]
		out[i] = time.Duration(v * float64(time.Millisecond))
	}
	return out
}

func sampleSnapshot() *stats.Snapshot {
	get := stats.Entry{
		Method: "GET", Name: "/", Requests: 100, Failures: 2,
		Min: 1400 * time.Microsecond, Max: 250500 * time.Microsecond, Mean: 12345 * time.Microsecond,
		Median: 10 * time.Millisecond, Percentiles: ps(10, 12, 14, 15, 20, 30, 50, 80, 150, 250.5, 250.5),
		TotalSize: 51200, RPS: 10, FailPerSec: 0.2, CurrentRPS: 11.5, CurrentFailPerSec: 0.3,
	}
	xss := stats.Entry{
		Method: "POST", Name: xssName, Requests: 10, Failures: 1,
		Min: time.Millisecond, Max: 2 * time.Millisecond, Mean: 1500 * time.Microsecond,
		Median: 1500 * time.Microsecond, Percentiles: ps(1.5, 2),
		TotalSize: 100, RPS: 1, CurrentRPS: 1,
	}
	total := get
	total.Method, total.Name = "", stats.TotalName
	total.Requests, total.Failures = 110, 3
	total.CurrentRPS = 12.5
	return &stats.Snapshot{
		Time: t0.Add(10 * time.Second), Start: t0, Duration: 10 * time.Second, Users: 5,
		Entries: []stats.Entry{get, xss},
		Total:   total,
		Failures: []stats.Failure{
			{Method: "GET", Name: "/", Error: `HTTP 500 "oops" it's <b>bad</b>`, Occurrences: 2},
			{Method: "POST", Name: xssName, Error: "connection refused", Occurrences: 1},
		},
		Errors: []stats.Error{
			{Message: `panic: <script>alert("x")</script>`, Trace: "main.go:12 <here>", Count: 4, Nodes: []string{"w1", "w2"}},
		},
	}
}

// sampleHistory is n per-second total rows from t0.
func sampleHistory(n int) []stats.HistoryRow {
	rows := make([]stats.HistoryRow, n)
	for i := range rows {
		rows[i] = stats.HistoryRow{
			Time: t0.Add(time.Duration(i) * time.Second), Users: i + 1, Name: stats.TotalName,
			CurrentRPS: float64(i), CurrentPercentiles: ps(10, 20, 30, 40, 50, 95, 98, 99, 100, 100, 100),
			Requests: uint64(10 * i), Median: 10 * time.Millisecond,
		}
	}
	return rows
}

// testAssets is a stand-in for the built UI.
func testAssets() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                {Data: []byte(`<!doctype html><title>herd</title><script type="module" src="./assets/index-BdC3x9aZ.js"></script>`)},
		"assets/index-BdC3x9aZ.js":  {Data: []byte(`console.log("herd")`)},
		"assets/index-7f3a9c1e.css": {Data: []byte(`body{}`)},
		"favicon.svg":               {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		".vite/manifest.json":       {Data: []byte(`{}`)},
	}
}

// newTestServer serves a Server over httptest and closes both at cleanup.
func newTestServer(t *testing.T, opts Options, c Controller) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Assets == nil {
		opts.Assets = testAssets()
	}
	s := New(opts, c)
	s.now = func() time.Time { return t0.Add(15 * time.Second) }
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close(context.Background())
		ts.Close()
	})
	return s, ts
}

// do sends a request to ts and returns the response with its body read.
func do(t *testing.T, ts *httptest.Server, method, path string, body io.Reader, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, ts *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	return do(t, ts, http.MethodGet, path, nil, nil)
}

// postForm posts a urlencoded form.
func postForm(t *testing.T, ts *httptest.Server, path, form string) (*http.Response, string) {
	t.Helper()
	return do(t, ts, http.MethodPost, path, strings.NewReader(form),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// decode decodes a JSON body into a generic value, failing the test if it
// is not JSON.
func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return v
}

func wantJSON(t *testing.T, resp *http.Response) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func wantStatus(t *testing.T, resp *http.Response, body string, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, code, body)
	}
}

var errBoom = errors.New("host is on fire")

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// httpTestServer serves an already configured Server.
func httpTestServer(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close(context.Background())
		ts.Close()
	})
	return ts
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// xssThreshold is a threshold on an endpoint whose name is markup.
const xssThreshold = `<script>alert(1)</script>: p99<1s`

// sampleThresholds is one result of each status: a passing total p95, a
// failing endpoint whose name is markup (first failed 5 s after t0), and a
// pending one without data.
func sampleThresholds(t testing.TB) []threshold.Result {
	t.Helper()
	parse := func(expr string) threshold.Threshold {
		th, err := threshold.Parse(expr)
		if err != nil {
			t.Fatalf("threshold %q: %v", expr, err)
		}
		return th
	}
	pass, fail, pending := parse("p95<300ms"), parse(xssThreshold+";abort"), parse("GET /cart: fail_ratio[30s]<1%")
	return []threshold.Result{
		{Expr: pass.String(), Threshold: pass, Status: threshold.Pass, Value: 212.5, Unit: "ms", Observed: "212.5ms"},
		{Expr: fail.String(), Threshold: fail, Status: threshold.Fail, Value: 1250, Unit: "ms", Observed: "1.25s",
			FirstFailed: t0.Add(5 * time.Second), Abort: true},
		{Expr: pending.String(), Threshold: pending, Status: threshold.Pending, NoData: true, Unit: "ratio", Observed: "no data"},
	}
}
