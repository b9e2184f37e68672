package metrics

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeSource is a Source over fixed figures.
type fakeSource struct{ r Reading }

func (f *fakeSource) Read(r *Reading) { *r = f.r }

var testStart = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// testStats are statistics with three endpoints, ticked once.
func testStats(t *testing.T) *stats.Stats {
	t.Helper()
	s := stats.New(testStart, stats.Options{Shards: 1})
	sh := s.Shard(0)
	for i := range 100 {
		sh.Record("GET", "/fast", time.Duration(200+i*10)*time.Microsecond, 10, "")
	}
	for i := range 10 {
		fail := ""
		if i%3 == 0 {
			fail = "HTTP 500"
		}
		sh.Record("POST", "/cart", time.Duration(i+1)*30*time.Millisecond, 100, fail)
	}
	sh.Record("GET", "/slow \"quoted\"\n", 3*time.Second, 0, "timeout")
	s.Tick(testStart.Add(time.Second), 3)
	return s
}

func testSource(t *testing.T) *fakeSource {
	th, err := threshold.Parse("p95<300ms")
	if err != nil {
		t.Fatal(err)
	}
	return &fakeSource{Reading{
		State:    "running",
		Stats:    testStats(t),
		Users:    map[string]int{"Shopper": 2, "Browser": 1},
		Master:   true,
		Workers:  []Worker{{ID: "w1", State: "running", CPU: 0.25}, {ID: "w2", State: "missing", CPU: 0}},
		CPU:      0.125,
		CPUKnown: true,
		Thresholds: []threshold.Result{
			{Expr: th.String(), Threshold: th, Status: threshold.Pass},
		},
	}}
}

// gather collects src through a pedantic registry, which checks every
// metric against its description.
func gather(t *testing.T, src Source) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	c := NewCollector(src)
	c.now = func() time.Time { return testStart.Add(time.Second) }
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// TestCollectorGolden pins the text exposition of a fixed run.
func TestCollectorGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range gather(t, testSource(t)) {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("the exposition differs from %s (run go test -update if intended):\n%s", golden, buf.String())
	}
}

// TestCollectorMatchesStats: per endpoint the counters are the snapshot's,
// the histogram's count is the counter, its sum the exact sum, and its
// native buckets (decoded from spans and deltas) add up to the count.
func TestCollectorMatchesStats(t *testing.T) {
	t.Parallel()
	src := testSource(t)
	snap := src.r.Stats.Snapshot(testStart.Add(time.Second), 3)
	fams := map[string]*dto.MetricFamily{}
	for _, mf := range gather(t, src) {
		fams[mf.GetName()] = mf
	}
	byEndpoint := func(name string) map[string]*dto.Metric {
		out := map[string]*dto.Metric{}
		for _, m := range fams[name].GetMetric() {
			out[labelsOf(m)["method"]+" "+labelsOf(m)["name"]] = m
		}
		return out
	}
	reqs, fails, durs := byEndpoint("herd_requests_total"), byEndpoint("herd_request_failures_total"),
		byEndpoint("herd_request_duration_seconds")
	if len(reqs) != len(snap.Entries) {
		t.Fatalf("%d request series for %d entries", len(reqs), len(snap.Entries))
	}
	for _, e := range snap.Entries {
		key := e.Method + " " + e.Name
		if got := reqs[key].GetCounter().GetValue(); got != float64(e.Requests) {
			t.Errorf("%s: herd_requests_total %v, want %d", key, got, e.Requests)
		}
		if got := fails[key].GetCounter().GetValue(); got != float64(e.Failures) {
			t.Errorf("%s: herd_request_failures_total %v, want %d", key, got, e.Failures)
		}
		h := durs[key].GetHistogram()
		if h.GetSampleCount() != e.Requests {
			t.Errorf("%s: histogram count %d, want %d", key, h.GetSampleCount(), e.Requests)
		}
		if want := e.Mean.Seconds() * float64(e.Requests); math.Abs(h.GetSampleSum()-want) > 1e-6 {
			t.Errorf("%s: histogram sum %v, want %v", key, h.GetSampleSum(), want)
		}
		if n := nativeCount(h); n != e.Requests {
			t.Errorf("%s: native buckets hold %d, want %d", key, n, e.Requests)
		}
		if c := h.GetCreatedTimestamp().AsTime(); !c.Equal(testStart) {
			t.Errorf("%s: created %v, want the start %v", key, c, testStart)
		}
	}
}

// nativeCount decodes a native histogram's spans and deltas and returns
// the sum of its bucket counts (and checks the encoding is well formed).
func nativeCount(h *dto.Histogram) uint64 {
	if h.Schema == nil || len(h.GetPositiveSpan()) == 0 {
		return math.MaxUint64
	}
	var n, total uint64
	var count int64
	for _, sp := range h.GetPositiveSpan() {
		n += uint64(sp.GetLength())
	}
	if n != uint64(len(h.GetPositiveDelta())) {
		return math.MaxUint64
	}
	for _, d := range h.GetPositiveDelta() {
		count += d
		if count < 0 {
			return math.MaxUint64
		}
		total += uint64(count)
	}
	return total + h.GetZeroCount()
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestCollectorBeforeTheFirstTest: no statistics yet, only the state.
func TestCollectorBeforeTheFirstTest(t *testing.T) {
	t.Parallel()
	var names []string
	for _, mf := range gather(t, &fakeSource{Reading{State: "ready", Users: map[string]int{"A": 0}}}) {
		names = append(names, mf.GetName())
	}
	if got := strings.Join(names, " "); got != "herd_dropped_iterations_total herd_iterations_total herd_state herd_users" {
		t.Errorf("families %s", got)
	}
}

// TestCollectorInvalidUTF8: request names are anything; label values
// must be UTF-8.
func TestCollectorInvalidUTF8(t *testing.T) {
	t.Parallel()
	s := stats.New(testStart, stats.Options{Shards: 1})
	s.Shard(0).Record("GET", "/bad\xff", time.Millisecond, 0, "")
	s.Tick(testStart.Add(time.Second), 1)
	for _, mf := range gather(t, &fakeSource{Reading{State: "running", Stats: s}}) {
		if mf.GetName() == "herd_requests_total" && labelsOf(mf.GetMetric()[0])["name"] != "/bad\uFFFD" {
			t.Errorf("label %q", labelsOf(mf.GetMetric()[0])["name"])
		}
	}
}
