package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The harness checks itself here, so that a failing case of the matrix is
// the product's fault, not the harness's.

// TestTargetCounts drives the target by hand: answered, failed, held,
// signalled and abandoned requests.
func TestTargetCounts(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, 3, 0)
	get := func(ctx context.Context, path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(procHeader, "p1")
		return http.DefaultClient.Do(req)
	}
	for _, path := range []string{"/fast", "/fail", "/fail"} { // the gate closes after these
		resp, err := get(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if resp, err := get(context.Background(), "/trip"); err != nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("/trip: %v %v", resp, err)
	}

	// Past the gate: one request signalled, one abandoned by its client.
	signalled := make(chan string, 1)
	go func() {
		resp, err := get(context.Background(), "/fast")
		if err != nil {
			signalled <- err.Error()
			return
		}
		resp.Body.Close()
		signalled <- resp.Header.Get(signalHeader)
	}()
	waitFor(t, "a held request", func() bool { return tg.quiet(1) }) // the oldest: the one signalled
	ctx, cancel := context.WithCancel(context.Background())
	abandoned := make(chan error, 1)
	go func() {
		_, err := get(ctx, "/stall")
		abandoned <- err
	}()
	waitFor(t, "two held requests", func() bool { return tg.quiet(2) })
	if _, ok := tg.counts(); ok {
		t.Error("counts are final while requests are held")
	}
	if n := tg.signal("stop", true); n != 1 {
		t.Fatalf("signalled %d requests of one process, want 1", n)
	}
	if got := <-signalled; got != "stop" {
		t.Fatalf("the signalled request got %q", got)
	}
	if !tg.quiet(2) { // one held, one signalled
		t.Error("not quiet with one held request and one signalled")
	}
	cancel()
	if err := <-abandoned; err == nil {
		t.Fatal("the abandoned request got an answer")
	}
	var counts map[endpoint]tally
	waitFor(t, "the abandoned request to settle", func() (ok bool) {
		counts, ok = tg.counts()
		return ok
	})
	want := map[endpoint]tally{
		{"GET", "/fast"}:  {2, 0},
		{"GET", "/fail"}:  {2, 1},
		{"GET", "/trip"}:  {1, 1},
		{"GET", "/stall"}: {1, 1},
	}
	if len(counts) != len(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	for ep, w := range want {
		if counts[ep] != w {
			t.Errorf("%s: %+v, want %+v", ep, counts[ep], w)
		}
	}
	if held, sig, ok := tg.firstGone(); !ok || held != 1 || sig != 1 {
		t.Errorf("first gone with %d held, %d signalled (%v), want 1, 1", held, sig, ok)
	}
}

// TestTargetHoldsFor checks a graceful target: a held request answers on
// its own after holdFor.
func TestTargetHoldsFor(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, 0, time.Millisecond)
	resp, err := http.Get(tg.URL + "/stall")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c, ok := tg.counts(); !ok || c[endpoint{"GET", "/stall"}] != (tally{1, 0}) {
		t.Errorf("counts %v (%v), want one answered /stall", c, ok)
	}
}

// A herd console summary and a Locust one, as the matrix's runs print them.
const (
	herdSummary = `Summary: ran for 3.024s with 4 users

Type     Name                      # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
--------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
GET      /fail                          8    4(50.00%) |   2.85    0.24    13.1   1.40 |    2.65        1.32
GET      /fast                         20     0(0.00%) |   0.63    0.11    4.75   0.29 |    6.61        0.00
--------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
         Aggregated                    28    4(14.29%) |   1.27    0.11    13.1   0.37 |    9.26        1.32

Response time percentiles (approximated)
Type     Name                          50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100% # reqs
--------|------------------------|--------|------|------|------|------|------|------|------|------|------|------|------
GET      /fail                        1.40   2.45   2.45   2.54   13.1   13.1   13.1   13.1   13.1   13.1   13.1      8
--------|------------------------|--------|------|------|------|------|------|------|------|------|------|------|------
         Aggregated                   0.37   0.70   1.03   1.40   2.54   4.77   13.1   13.1   13.1   13.1   13.1     28

Error report
# occurrences      Error
------------------|-----------------------------------------------------------------------------------------
3                  GET /fail: HTTP 500 Internal Server Error
1                  GET /fail: interrupted at stop: no response
------------------|-----------------------------------------------------------------------------------------
`
	locustSummary = `[2026-12-05 14:30:36,854] vm/INFO/locust.main: --run-time limit reached, shutting down
Type     Name                                                                          # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
--------|----------------------------------------------------------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
GET      /fast                                                                             18     0(0.00%) |      2       0      11      1 |    8.69        0.00
GET      /stall                                                                             4   4(100.00%) |      2       0      11      1 |    8.69        0.00
--------|----------------------------------------------------------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
         Aggregated                                                                        22    4(18.18%) |      2       0      11      1 |   14.48        2.90

Error report
# occurrences      Error                                                                                               
------------------|---------------------------------------------------------------------------------------------------------------------------------------------
4                  GET /stall: 'interrupted'                                                         
------------------|---------------------------------------------------------------------------------------------------------------------------------------------
`
)

func TestConsoleSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		out  string
		want map[endpoint]tally
	}{
		{"herd", "live tables first\n" + strings.Replace(herdSummary, "Summary", "Type     Name  # reqs  # fails |\n", 1) + "\n" + herdSummary,
			map[endpoint]tally{{"GET", "/fail"}: {8, 4}, {"GET", "/fast"}: {20, 0}}},
		{"locust", locustSummary, map[endpoint]tally{{"GET", "/fast"}: {18, 0}, {"GET", "/stall"}: {4, 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ev := consoleSummary("console", tc.out)
			if d := differences([]*view{v, ev}, tc.want); len(d) > 0 {
				t.Errorf("the summary disagrees with itself:\n%s", strings.Join(d, "\n"))
			}
			wrong := map[endpoint]tally{{"GET", "/fast"}: {1, 1}}
			if d := differences([]*view{v, ev}, wrong); len(d) == 0 {
				t.Error("no difference from a wrong count")
			}
		})
	}
	if v, _ := consoleSummary("console", "no table"); len(v.errs) == 0 {
		t.Error("an output without a table reads as a summary")
	}
}
