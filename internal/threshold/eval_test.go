package threshold

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// at is the time n seconds into the run.
func at(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }

// sample is n requests of one endpoint taking d each, fails of them failed.
func sample(method, name string, n, fails uint64, d time.Duration) Sample {
	h := new(histogram.Histogram)
	h.RecordN(d, n)
	return Sample{Method: method, Name: name, Requests: n, Failures: fails, Hist: h}
}

func total(n, fails uint64, d time.Duration) Sample {
	s := sample("", "", n, fails, d)
	s.Total = true
	return s
}

func mustParse(t *testing.T, exprs ...string) []Threshold {
	t.Helper()
	ts, err := ParseAll(exprs)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// expect compares the parts of a result a test cares about.
func expect(t *testing.T, when string, r Result, status Status, observed string) {
	t.Helper()
	if r.Status != status || r.Observed != observed {
		t.Errorf("%s: %s = %v %q, want %v %q", when, r.Expr, r.Status, r.Observed, status, observed)
	}
}

func TestWholeRun(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p95<300ms", "avg<=100ms", "min>1ms", "max<1s", "fail_ratio<1%",
		"failures<10", "requests>=1000", "rps>99"))
	for i := 1; i <= 10; i++ {
		d := 50 * time.Millisecond
		if i == 10 {
			d = 500 * time.Millisecond // the slowest 10%
		}
		e.Observe(at(float64(i)), []Sample{sample("GET", "/", 100, 1, d)})
	}
	r := e.Results()
	expect(t, "live", r[0], Fail, "500ms") // 10% at 500 ms: p95 is there
	expect(t, "live", r[1], Pass, "95ms")
	expect(t, "live", r[2], Pass, "50ms")
	expect(t, "live", r[3], Pass, "500ms")
	expect(t, "live", r[4], Fail, "1%") // 10 in 1000 is not under 1%
	expect(t, "live", r[5], Fail, "10")
	expect(t, "live", r[6], Pass, "1000")
	expect(t, "live", r[7], Pass, "100/s")
	if r[0].Value != 500 || r[0].Unit != "ms" || r[7].Unit != "req/s" || r[4].Unit != "ratio" {
		t.Errorf("values: %+v", r)
	}
	if !r[0].FirstFailed.Equal(at(10)) || !r[2].FirstFailed.IsZero() {
		t.Errorf("FirstFailed = %v, %v", r[0].FirstFailed, r[2].FirstFailed)
	}
	if r[0].Abort {
		t.Error("a threshold without the abort option asks to abort")
	}
	if Passed(r) || !Passed(nil) {
		t.Error("Passed is true with failures, or false without thresholds")
	}
}

func TestFailRatioEdge(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "fail_ratio<1%", "fail_ratio<=1%", "fail_ratio<=0.01"))
	e.Observe(at(1), []Sample{sample("GET", "/", 100, 1, time.Millisecond)})
	r := e.Results()
	expect(t, "1 in 100", r[0], Fail, "1%")
	expect(t, "1 in 100", r[1], Pass, "1%")
	expect(t, "1 in 100", r[2], Pass, "1%")
}

func TestScopes(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "requests>0", "/cart: requests>0", "GET /cart: requests>0",
		"POST /cart: requests>0", "ws: chat: requests>0", "/typo: requests>0", "/typo: failures<1"))
	secs := []Sample{
		sample("GET", "/cart", 10, 0, time.Millisecond),
		sample("POST", "/cart", 5, 0, time.Millisecond),
		sample("GET", "/", 100, 0, time.Millisecond),
		sample("", "ws: chat", 7, 0, time.Millisecond),
	}
	e.Observe(at(1), secs)
	r := e.Results()
	expect(t, "summed total", r[0], Pass, "122")
	expect(t, "all methods", r[1], Pass, "15")
	expect(t, "GET only", r[2], Pass, "10")
	expect(t, "POST only", r[3], Pass, "5")
	expect(t, "name with colon", r[4], Pass, "7")
	expect(t, "unknown", r[5], Pending, "no data")
	expect(t, "unknown", r[6], Pending, "no data")

	// With an explicit total, the total is that, not the sum.
	e.Observe(at(2), append(secs, total(1000, 0, time.Millisecond)))
	expect(t, "explicit total", e.Results()[0], Pass, "1122")

	f := e.Final()
	expect(t, "final", f[5], Fail, "no data")
	if !f[5].NoData || f[5].Message() != "no requests for /typo" {
		t.Errorf("final no data: %+v %q", f[5], f[5].Message())
	}
	if !f[6].NoData || f[6].Status != Fail {
		t.Errorf("a count threshold on an endpoint without requests passes: %+v", f[6])
	}
}

func TestNoData(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p95<1s", "fail_ratio<1%", "rps>1", "failures<1", "p95[10s]<1s"))
	for _, r := range e.Results() {
		expect(t, "before any Observe", r, Pending, "no data")
	}
	e.Observe(at(1), nil)
	e.Observe(at(2), []Sample{{Method: "GET", Name: "/"}}) // an entry with no request
	for _, r := range e.Results() {
		expect(t, "without requests", r, Pending, "no data")
		if r.Abort || !r.NoData {
			t.Errorf("%s: %+v", r.Expr, r)
		}
	}
	for _, r := range e.Final() {
		expect(t, "final", r, Fail, "no data")
		if r.Message() != "no requests" {
			t.Errorf("%s: message %q", r.Expr, r.Message())
		}
	}
}

func TestSlidingWindow(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p99[3s]<100ms", "p50<100ms", "max[2s]<100ms"))
	fast, slow := 10*time.Millisecond, 300*time.Millisecond
	steps := []struct {
		d                 time.Duration
		window, whole, mx Status
	}{
		{fast, Pass, Pass, Pass},    // 1
		{fast, Pass, Pass, Pass},    // 2
		{fast, Pass, Pass, Pass},    // 3
		{slow, Fail, Pass, Fail},    // 4: one slow second: the whole-run p50 stays fast
		{fast, Fail, Pass, Fail},    // 5
		{fast, Fail, Pass, Pass},    // 6: the slow second leaves the 2s window
		{fast, Pass, Pass, Pass},    // 7: and the 3s window
		{0, Pass, Pass, Pass},       // 8: no request, but the windows still hold some
		{0, Pass, Pass, Pending},    // 9
		{0, Pending, Pass, Pending}, // 10: empty windows have no data
	}
	for i, s := range steps {
		var secs []Sample
		if s.d > 0 {
			secs = []Sample{sample("GET", "/", 100, 0, s.d)}
		}
		e.Observe(at(float64(i+1)), secs)
		r := e.Results()
		if r[0].Status != s.window || r[1].Status != s.whole || r[2].Status != s.mx {
			t.Errorf("second %d: %v %v %v, want %v %v %v", i+1, r[0].Status, r[1].Status, r[2].Status, s.window, s.whole, s.mx)
		}
	}
	r := e.Results()
	if got, want := r[0].Message(), "no requests in the last 3s"; got != want {
		t.Errorf("pending Message = %q, want %q", got, want)
	}
	if !r[0].FirstFailed.Equal(at(4)) {
		t.Errorf("FirstFailed = %v, want %v", r[0].FirstFailed, at(4))
	}
	f := e.Final()
	expect(t, "final windowed", f[0], Fail, "300ms") // broken once: failed, worst window
	expect(t, "final whole", f[1], Pass, "10.05ms")  // a bucket's midpoint
	expect(t, "final windowed max", f[2], Fail, "300ms")
	if got, want := f[0].Message(), "worst p99[3s] 300ms, want <100ms"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got, want := f[1].Message(), "p50 10.05ms, want <100ms"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
}

func TestWindowedPassKeepsWorst(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "rps[2s]>=50", "fail_ratio[2s]<50%"))
	for i, n := range []uint64{100, 60, 80, 100} {
		e.Observe(at(float64(i+1)), []Sample{sample("GET", "/", n, n/10, time.Millisecond)})
	}
	f := e.Final()
	expect(t, "rps", f[0], Pass, "70/s") // worst window: (60+80)/2
	expect(t, "fail ratio", f[1], Pass, "10%")
	if Passed(f) != true {
		t.Error("Passed = false")
	}
}

func TestWindowRPS(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "rps[10s]>=100", "rps>=100"))
	// Shorter than the window: divide by the time since the start.
	for i := 1; i <= 5; i++ {
		e.Observe(at(float64(i)), []Sample{sample("GET", "/", 100, 0, time.Millisecond)})
	}
	r := e.Results()
	expect(t, "5s into a 10s window", r[0], Pass, "100/s")
	expect(t, "whole run", r[1], Pass, "100/s")
	// A stall: the window sees it fully, the whole run only partly.
	for i := 6; i <= 15; i++ {
		var secs []Sample
		if i <= 10 {
			secs = []Sample{sample("GET", "/", 100, 0, time.Millisecond)}
		}
		e.Observe(at(float64(i)), secs)
	}
	r = e.Results()
	expect(t, "after a 5s stall", r[0], Fail, "50/s")
	expect(t, "after a 5s stall", r[1], Fail, "66.7/s")
	// A long stall empties the window: rps is 0, not "no data".
	for i := 16; i <= 30; i++ {
		e.Observe(at(float64(i)), nil)
	}
	expect(t, "after a long stall", e.Results()[0], Fail, "0/s")
}

func TestMissedTicks(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "requests[3s]>=0", "requests>=0"))
	e.Observe(at(1), []Sample{sample("GET", "/", 1, 0, time.Millisecond)})
	e.Observe(at(2.02), []Sample{sample("GET", "/", 2, 0, time.Millisecond)})
	e.Observe(at(2.4), []Sample{sample("GET", "/", 4, 0, time.Millisecond)}) // same second: merged
	expect(t, "merged", e.Results()[0], Pass, "7")
	e.Observe(at(5), []Sample{sample("GET", "/", 8, 0, time.Millisecond)}) // 3 and 4 missed
	expect(t, "gap", e.Results()[0], Pass, "8")
	expect(t, "gap", e.Results()[1], Pass, "15")
	e.Observe(at(4), []Sample{sample("GET", "/", 16, 0, time.Millisecond)}) // clock went back: counts as second 5
	expect(t, "back", e.Results()[0], Pass, "24")
}

func TestAbortGrace(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p95<100ms;abort;grace=5s", "p95<100ms;abort", "p95<100ms"))
	for i := 1; i <= 6; i++ {
		e.Observe(at(float64(i)), []Sample{sample("GET", "/", 10, 0, time.Second)})
		r := e.Results()
		if want := i >= 5; r[0].Abort != want {
			t.Errorf("second %d: grace=5s Abort = %v, want %v", i, r[0].Abort, want)
		}
		if !r[1].Abort || r[2].Abort {
			t.Errorf("second %d: Abort = %v (abort), %v (no abort)", i, r[1].Abort, r[2].Abort)
		}
	}
	// Recovered: no abort.
	for i := 7; i <= 200; i++ {
		e.Observe(at(float64(i)), []Sample{sample("GET", "/", 10, 0, time.Millisecond)})
	}
	r := e.Results()
	if r[0].Status != Pass || r[0].Abort || r[0].FirstFailed.IsZero() {
		t.Errorf("after recovery: %+v", r[0])
	}
	for _, r := range e.Final() {
		if r.Abort {
			t.Errorf("final %s asks to abort", r.Expr)
		}
	}
}

func TestObserveDoesNotKeepHistograms(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p95<1s", "p95[5s]<1s"))
	s := sample("GET", "/", 10, 0, 10*time.Millisecond)
	e.Observe(at(1), []Sample{s})
	s.Hist.Reset()
	s.Hist.RecordN(10*time.Second, 10)
	r := e.Results()
	expect(t, "whole", r[0], Pass, "10ms")
	expect(t, "window", r[1], Pass, "10ms")
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "GET /: p95<1ms;abort", "rps>1"))
	e.Observe(at(2), []Sample{sample("GET", "/", 10, 0, 5*time.Millisecond)})
	got, err := json.Marshal(e.Results())
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"expr":"GET /: p95\u003c1ms;abort","status":"fail","value":5,"unit":"ms","observed":"5ms",` +
		`"first_failed":"2026-11-27T10:00:02Z","abort":true},` +
		`{"expr":"rps\u003e1","status":"pass","value":5,"unit":"req/s","observed":"5/s"}]`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

func TestStatusText(t *testing.T) {
	t.Parallel()
	for s, want := range map[Status]string{Pending: "pending", Pass: "pass", Fail: "fail"} {
		b, _ := s.MarshalText()
		if s.String() != want || string(b) != want {
			t.Errorf("%d: %q %q", s, s.String(), b)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		m    metric
		v    float64
		want string
	}{
		{metricAvg, float64(312400 * time.Microsecond), "312.4ms"},
		{metricAvg, float64(1234567 * time.Microsecond), "1.235s"},
		{metricAvg, float64(31236 * time.Microsecond), "31.24ms"},
		{metricAvg, float64(850 * time.Microsecond), "850µs"},
		{metricFailRatio, 0.0125, "1.25%"},
		{metricFailRatio, 1.0 / 3, "33.3%"},
		{metricFailRatio, 0.0000123, "0.00123%"},
		{metricFailRatio, 0, "0%"},
		{metricRPS, 480.04, "480/s"},
		{metricRPS, 12345.6, "12346/s"},
		{metricRequests, 12, "12"},
	} {
		if _, _, got := present(tt.m, tt.v); got != tt.want {
			t.Errorf("present(%v, %v) = %q, want %q", tt.m, tt.v, got, tt.want)
		}
	}
}

func TestConcurrentResults(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t, "p95[5s]<1s", "rps>1"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 100; i++ {
			e.Observe(at(float64(i)), []Sample{sample("GET", "/", 10, 0, time.Millisecond)})
		}
	}()
	for range 100 {
		_ = e.Results()
	}
	<-done
	if !Passed(e.Final()) {
		t.Errorf("Final = %+v", e.Final())
	}
}

// BenchmarkObserve: one second of 100 endpoints against thresholds on the
// total and one endpoint, with 1-minute windows.
func BenchmarkObserve(b *testing.B) {
	ts, err := ParseAll([]string{"p95<300ms", "p99[1m]<500ms", "fail_ratio[1m]<1%", "GET /e7: p95[1m]<300ms", "rps>10"})
	if err != nil {
		b.Fatal(err)
	}
	e := New(t0, ts)
	secs := make([]Sample, 100)
	for i := range secs {
		secs[i] = sample("GET", "/e"+strconv.Itoa(i), 100, 1, time.Duration(i+1)*time.Millisecond)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		e.Observe(at(float64(i)), secs)
	}
}
