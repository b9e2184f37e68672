package herd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// jsonReport is the part of the --json output these tests read.
type jsonReport struct {
	Stats []jsonEntry `json:"stats"`
	Total jsonEntry   `json:"total"`
}

type jsonEntry struct {
	Method      string             `json:"method"`
	Name        string             `json:"name"`
	Requests    uint64             `json:"num_requests"`
	Failures    uint64             `json:"num_failures"`
	Min         float64            `json:"min_response_time"`
	Max         float64            `json:"max_response_time"`
	Avg         float64            `json:"avg_response_time"`
	Percentiles map[string]float64 `json:"percentiles"`
}

// countingServer counts requests per path and sleeps a known time for each.
type countingServer struct {
	mu     sync.Mutex
	counts map[string]int
	n      atomic.Int64
}

func (s *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var d time.Duration
	switch r.URL.Path {
	case "/slow":
		d = 20 * time.Millisecond
	case "/spread":
		d = time.Duration(s.n.Add(1)%10) * 3 * time.Millisecond // 0, 3, …, 27 ms
	}
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	s.mu.Lock()
	s.counts[r.Method+" "+r.URL.Path]++
	s.mu.Unlock()
	w.Write([]byte("0123456789"))
}

type hammer struct{ herd.HTTPUser }

func (u *hammer) Tasks() []herd.Task {
	get := func(path string) func(context.Context) error {
		return func(ctx context.Context) error { return u.Client.Get(ctx, path).Err() }
	}
	return []herd.Task{
		{Weight: 5, Run: get("/fast")},
		{Weight: 2, Run: get("/slow")},
		{Weight: 3, Run: get("/spread")},
		{Run: func(ctx context.Context) error {
			return u.Client.Post(ctx, "/fast", herd.Raw("text/plain", []byte("x"))).Err()
		}},
	}
}

// stopAfter is a user whose only task waits until enough is closed, then
// stops the test: a run that ends when it has done its work, however fast
// the machine is, not after a run time.
type stopAfter struct{ enough <-chan struct{} }

func (u stopAfter) Tasks() []herd.Task {
	return []herd.Task{{Name: "wait", Run: func(ctx context.Context) error {
		select {
		case <-u.enough:
			return herd.ErrStopTest
		case <-ctx.Done():
			return ctx.Err()
		}
	}}}
}

// TestCountsAndPercentilesAreExact runs a real load test against a local
// server that counts what it receives: herd's counts must equal the
// server's exactly, and its percentiles must be within 1% (or 1 ms) of the
// exact percentiles of every sample taken. The test stops once 400
// requests were made (the run time of a minute only guards against a
// hang), and the requests in flight then finish (-s).
func TestCountsAndPercentilesAreExact(t *testing.T) {
	t.Parallel()
	srv := &countingServer{counts: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	const enough = 400
	full := make(chan struct{})
	var mu sync.Mutex
	samples := map[string][]time.Duration{}
	n := 0
	test := &herd.Test{Users: []*herd.UserType{
		{Name: "Hammer", Wait: herd.Constant(time.Millisecond), New: func() herd.User { return new(hammer) }},
		{Name: "Stopper", FixedCount: 1, New: func() herd.User { return stopAfter{full} }},
	}}
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		defer mu.Unlock()
		samples[r.Kind+" "+r.Name] = append(samples[r.Kind+" "+r.Name], r.Duration)
		if n++; n == enough {
			close(full)
		}
	})
	var stdout, stderr bytes.Buffer
	code := mainRun(test, context.Background(), herd.Env{
		Args:   []string{"--headless", "-u", "9", "-r", "100", "-t", "1m", "-s", "10s", "-H", ts.URL, "--json", "--only-summary"},
		Stdout: &stdout, Stderr: &stderr,
	})
	if code != herd.ExitOK {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
	var rep jsonReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout.String())
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(rep.Stats) != 4 {
		t.Fatalf("got %d entries, want 4: %+v", len(rep.Stats), rep.Stats)
	}
	var total uint64
	for _, e := range rep.Stats {
		key := e.Method + " " + e.Name
		if want := srv.counts[key]; e.Requests != uint64(want) || want == 0 {
			t.Errorf("%s: herd counted %d, the server %d", key, e.Requests, want)
		}
		total += e.Requests
		exact := slices.Clone(samples[key])
		slices.Sort(exact)
		if len(exact) != int(e.Requests) {
			t.Fatalf("%s: %d samples seen by the listener, %d counted", key, len(exact), e.Requests)
		}
		for label, got := range e.Percentiles {
			q, _ := strconv.ParseFloat(label, 64)
			want := exactPercentile(exact, q/100)
			tol := 0.01*want + 0.002 // 1%, plus µs truncation and JSON rounding: tighter than the 1 ms allowed
			if math.Abs(got-want) > tol {
				t.Errorf("%s p%s = %.3f ms, exact %.3f ms", key, label, got, want)
			}
		}
		if want := ms(exact[0]); math.Abs(e.Min-want) > 0.001 {
			t.Errorf("%s min = %v, exact %v", key, e.Min, want)
		}
		if want := ms(exact[len(exact)-1]); math.Abs(e.Max-want) > 0.001 {
			t.Errorf("%s max = %v, exact %v", key, e.Max, want)
		}
		var sum time.Duration
		for _, d := range exact {
			sum += d
		}
		if want := ms(sum / time.Duration(len(exact))); math.Abs(e.Avg-want) > 0.001 {
			t.Errorf("%s avg = %v, exact %v", key, e.Avg, want)
		}
		if e.Name == "/slow" && e.Min < 20 {
			t.Errorf("/slow answered in %v ms, faster than the server's 20 ms sleep", e.Min)
		}
		if e.Name == "/spread" && (e.Percentiles["100"] < 27 || e.Percentiles["50"] < 12) {
			t.Errorf("/spread percentiles %v do not show the server's 0–27 ms spread", e.Percentiles)
		}
	}
	if rep.Total.Requests != total || total < enough {
		t.Errorf("total %d, entries sum to %d", rep.Total.Requests, total)
	}
	t.Logf("%d requests; total p50 %.3f ms p99 %.3f ms", total, rep.Total.Percentiles["50"], rep.Total.Percentiles["99"])
}

func exactPercentile(sorted []time.Duration, q float64) float64 {
	if q >= 1 {
		return ms(sorted[len(sorted)-1])
	}
	r := max(int(math.Ceil(q*float64(len(sorted)))), 1)
	return ms(sorted[r-1])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
