package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/herdload/herd"
)

// The end-to-end tests run herd in this process against a counting target
// and compare what /metrics, OTLP and --jsonl say with the target's count.

// target counts the requests it receives, per "METHOD /path".
type target struct {
	URL    string
	mu     sync.Mutex
	counts map[string]int
	n      int
}

// newTarget serves /ok (200), /flaky (every third 500) and /create (POST).
func newTarget(t *testing.T) *target {
	tg := &target{counts: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.counts[r.Method+" "+r.URL.Path]++
		tg.n++
		n := tg.n
		tg.mu.Unlock()
		if r.URL.Path == "/flaky" && n%3 == 0 {
			http.Error(w, "flaky", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	tg.URL = srv.URL
	return tg
}

func (tg *target) snapshot() map[string]int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := make(map[string]int, len(tg.counts))
	for k, v := range tg.counts {
		out[k] = v
	}
	return out
}

type visitor struct{ herd.HTTPUser }

func (v *visitor) Tasks() []herd.Task {
	return []herd.Task{
		{Weight: 3, Run: func(ctx context.Context) error { return v.Client.Get(ctx, "/ok").Err() }},
		{Weight: 2, Run: func(ctx context.Context) error { return v.Client.Get(ctx, "/flaky").Err() }},
		{Run: func(ctx context.Context) error {
			return v.Client.Post(ctx, "/create", herd.Raw("text/plain", []byte("x"))).Err()
		}},
	}
}

func program() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "Visitor", Wait: herd.Constant(10 * time.Millisecond), New: func() herd.User { return new(visitor) },
	}}}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is a herd run in this process.
type process struct {
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// start runs the test program with args in the background; the test's end
// interrupts it and waits for it.
func start(t *testing.T, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{stderr: new(syncBuffer), cancel: cancel, done: make(chan int, 1)}
	go func() {
		code, err := program().Run(ctx, herd.Env{Prog: "metrics-test", Args: args, Stdout: io.Discard, Stderr: p.stderr})
		if err != nil {
			fmt.Fprintf(p.stderr, "error: %v\n", err)
		}
		p.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Error("herd did not end")
		}
	})
	return p
}

// wait waits for the process to end by itself and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.done:
		p.done <- code // for the cleanup
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("herd did not end:\n%s", p.stderr.String())
	}
	return -1
}

// logged waits for a log line matching re and returns its first group.
func (p *process) logged(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	var got string
	poll(t, "a log line matching "+re.String(), func() bool {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			got = m[1]
			return true
		}
		return false
	}, p)
	return got
}

// poll waits for cond, 60 s at most.
func poll(t *testing.T, what string, cond func() bool, p *process) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			log := ""
			if p != nil {
				log = p.stderr.String()
			}
			t.Fatalf("timed out waiting for %s\n%s", what, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	uiURL      = regexp.MustCompile(`web UI ready.* url=(http://127\.0\.0\.1:\d+/)`)
	metricsURL = regexp.MustCompile(`Prometheus metrics ready.* url=(http://127\.0\.0\.1:\d+/metrics)`)
	masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)
)

// Accept headers of a Prometheus server for each format.
const (
	acceptText     = "text/plain;version=0.0.4"
	acceptProtobuf = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	acceptOM       = "application/openmetrics-text;version=1.0.0"
)

// scrape gets url in the format accept asks for and decodes it with
// expfmt, checking the response is in that format.
func scrape(t *testing.T, url, accept, auth string) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := tryScrape(url, accept, auth)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// tryScrape is scrape returning its error.
func tryScrape(url, accept, auth string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if user, pass, ok := strings.Cut(auth, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %s\n%s", url, resp.Status, body)
	}
	format := expfmt.ResponseFormat(resp.Header)
	if want := map[string]expfmt.FormatType{acceptText: expfmt.TypeTextPlain, acceptProtobuf: expfmt.TypeProtoDelim,
		acceptOM: expfmt.TypeOpenMetrics}[accept]; format.FormatType() != want {
		return nil, fmt.Errorf("asked for %s, got %s", accept, format)
	}
	dec := expfmt.NewDecoder(resp.Body, format)
	out := map[string]*dto.MetricFamily{}
	for {
		mf := new(dto.MetricFamily)
		if err := dec.Decode(mf); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", format, err)
		}
		out[mf.GetName()] = mf
	}
}

// endpointFigures is one endpoint as /metrics shows it.
type endpointFigures struct {
	requests, failures float64
	histCount          uint64
	nativeSchema       *int32 // nil in formats without native histograms
}

// figures reads herd's per-endpoint metrics from a scrape. OpenMetrics
// names counters without their _total suffix.
func figures(fams map[string]*dto.MetricFamily) map[string]*endpointFigures {
	out := map[string]*endpointFigures{}
	at := func(m *dto.Metric) *endpointFigures {
		var method, name string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "method":
				method = l.GetValue()
			case "name":
				name = l.GetValue()
			}
		}
		k := method + " " + name
		if out[k] == nil {
			out[k] = &endpointFigures{}
		}
		return out[k]
	}
	for _, n := range []string{"herd_requests_total", "herd_requests"} {
		for _, m := range fams[n].GetMetric() {
			at(m).requests = m.GetCounter().GetValue()
		}
	}
	for _, n := range []string{"herd_request_failures_total", "herd_request_failures"} {
		for _, m := range fams[n].GetMetric() {
			at(m).failures = m.GetCounter().GetValue()
		}
	}
	for _, m := range fams["herd_request_duration_seconds"].GetMetric() {
		f := at(m)
		f.histCount = m.GetHistogram().GetSampleCount()
		f.nativeSchema = m.GetHistogram().Schema
	}
	return out
}

// checkConsistent: in one scrape, every endpoint's histogram counts its
// requests, and the protobuf format carries native histograms.
func checkConsistent(t *testing.T, fams map[string]*dto.MetricFamily, accept string) {
	t.Helper()
	for k, f := range figures(fams) {
		if f.histCount != uint64(f.requests) || f.failures > f.requests {
			t.Errorf("%s (%s): %v requests, %v failures, histogram count %d", k, accept, f.requests, f.failures, f.histCount)
		}
		if (f.nativeSchema != nil) != (accept == acceptProtobuf) {
			t.Errorf("%s (%s): native schema %v", k, accept, f.nativeSchema)
		}
	}
}

// whileRunning scrapes, in the text and protobuf formats, until two
// scrapes of a running test saw its requests grow, checking each scrape.
func whileRunning(t *testing.T, p *process, get func(accept string) (map[string]*dto.MetricFamily, error)) {
	t.Helper()
	var last float64
	moved := 0
	poll(t, "the counters to move during the run", func() bool {
		for _, accept := range []string{acceptText, acceptProtobuf} { // (expfmt's OpenMetrics parser is slow)
			fams, err := get(accept)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, fams, accept)
			var total float64
			for _, f := range figures(fams) {
				total += f.requests
			}
			if gauge(fams, "herd_state", "state", "running") == 1 && total > last {
				if last > 0 {
					moved++
				}
				last = total
			}
		}
		return moved >= 2
	}, p)
}

// checkEqualsTarget: per endpoint, /metrics counts what the target did.
func checkEqualsTarget(t *testing.T, fams map[string]*dto.MetricFamily, want map[string]int) {
	t.Helper()
	got := figures(fams)
	if len(got) != len(want) {
		t.Errorf("%d endpoints in /metrics, the target saw %d: %v", len(got), len(want), want)
	}
	for k, n := range want {
		if f := got[k]; f == nil || f.requests != float64(n) || f.histCount != uint64(n) {
			t.Errorf("%s: /metrics says %+v, the target counted %d", k, f, n)
		}
	}
}

// gauge is the value of the family's series with label=value.
func gauge(fams map[string]*dto.MetricFamily, family, label, value string) float64 {
	for _, m := range fams[family].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// TestWebUIMetricsEqualTheTarget scrapes the web UI's /metrics while a
// test runs, until its counters moved (each scrape consistent with itself:
// per endpoint the histogram's count is the counter), stops the test, and
// scrapes once it stopped, in the three formats Prometheus reads: per
// endpoint the counter and the histogram's count are the target's count.
func TestWebUIMetricsEqualTheTarget(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	p := start(t, "--web-host", "127.0.0.1", "-P", "0", "--autostart", "-u", "4", "-r", "100", "-s", "10s", "-H", tg.URL)
	base := p.logged(t, uiURL)
	whileRunning(t, p, func(accept string) (map[string]*dto.MetricFamily, error) {
		return tryScrape(base+"metrics", accept, "")
	})
	resp, err := http.Post(base+"stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	poll(t, "the test to stop", func() bool {
		fams := scrape(t, base+"metrics", acceptProtobuf, "")
		checkConsistent(t, fams, acceptProtobuf)
		return gauge(fams, "herd_state", "state", "stopped") == 1
	}, p)
	want := tg.snapshot()
	for _, accept := range []string{acceptText, acceptProtobuf, acceptOM} {
		fams := scrape(t, base+"metrics", accept, "")
		checkEqualsTarget(t, fams, want)
		if u := gauge(fams, "herd_users", "user_type", "Visitor"); u != 0 {
			t.Errorf("%v users after the stop", u)
		}
	}
	checkExporterView(t, base, want) // what locust_exporter reads, decoded strictly
	checkExporter(t, base, want, 0)  // locust_exporter itself, scraped
}

// TestMasterMetricsAreTheClusterTotal: a master and two workers; the
// master's /metrics counts every worker's requests, and its workers.
func TestMasterMetricsAreTheClusterTotal(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	m := start(t, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "2",
		"--web-host", "127.0.0.1", "-P", "0", "--autostart", "-u", "4", "-r", "100", "-t", "3s", "-s", "10s", "-H", tg.URL)
	port := m.logged(t, masterPort)
	base := m.logged(t, uiURL)
	for range 2 {
		start(t, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
	}
	var fams map[string]*dto.MetricFamily
	poll(t, "two running workers", func() bool {
		fams = scrape(t, base+"metrics", acceptProtobuf, "")
		return gauge(fams, "herd_workers", "state", "running") == 2
	}, m)
	poll(t, "the test to stop", func() bool {
		fams = scrape(t, base+"metrics", acceptProtobuf, "")
		checkConsistent(t, fams, acceptProtobuf)
		return gauge(fams, "herd_state", "state", "stopped") == 1
	}, m)
	checkEqualsTarget(t, fams, tg.snapshot())
	if n := len(fams["herd_worker_cpu_usage_ratio"].GetMetric()); n != 2 {
		t.Errorf("CPU of %d workers", n)
	}
	checkExporter(t, base, tg.snapshot(), 2) // locust_exporter sees the cluster too
}
