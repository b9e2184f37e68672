package threshold_test

import (
	"fmt"
	"os"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/threshold"
)

func Example() {
	ts, err := threshold.ParseAll([]string{
		"p95<300ms",
		"GET /cart: fail_ratio[10s]<5%;abort;grace=30s",
		"rps>=50",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	e := threshold.New(start, ts)

	// Once a second, the controller passes that second's statistics.
run:
	for sec := 1; sec <= 60; sec++ {
		h := new(histogram.Histogram)
		h.RecordN(120*time.Millisecond, 100)
		failures := uint64(0)
		if sec == 40 {
			failures = 60 // a burst of errors
		}
		e.Observe(start.Add(time.Duration(sec)*time.Second), []threshold.Sample{
			{Method: "GET", Name: "/cart", Requests: 100, Failures: failures, Hist: h},
		})
		for _, r := range e.Results() {
			if r.Abort {
				fmt.Printf("abort at %ds: %s (%s)\n", sec, r.Expr, r.Message())
				break run
			}
		}
	}

	results := e.Final()
	for _, r := range results {
		fmt.Printf("%-4s %s: %s\n", r.Status, r.Expr, r.Message())
	}
	fmt.Println("passed:", threshold.Passed(results))
	_ = threshold.WriteJUnit(os.Stdout, "herd", results[1:2], 40*time.Second)
	// Output:
	// abort at 40s: GET /cart: fail_ratio[10s]<5%;abort;grace=30s (fail_ratio[10s] 6%, want <5%)
	// pass p95<300ms: p95 120ms, want <300ms
	// fail GET /cart: fail_ratio[10s]<5%;abort;grace=30s: worst fail_ratio[10s] 6%, want <5%
	// pass rps>=50: rps 100/s, want >=50
	// passed: false
	// <?xml version="1.0" encoding="UTF-8"?>
	// <testsuites name="herd" tests="1" failures="1" errors="0" skipped="0" time="40.000">
	//   <testsuite name="herd" tests="1" failures="1" errors="0" skipped="0" time="40.000">
	//     <testcase name="GET /cart: fail_ratio[10s]&lt;5%;abort;grace=30s" classname="herd" time="0">
	//       <failure message="worst fail_ratio[10s] 6%, want &lt;5%" type="threshold">GET /cart: fail_ratio[10s]&lt;5%;abort;grace=30s&#xA;worst fail_ratio[10s] 6%, want &lt;5%&#xA;first failed at 2026-01-01T12:00:40Z&#xA;</failure>
	//     </testcase>
	//   </testsuite>
	// </testsuites>
}

func ExampleParse() {
	for _, s := range []string{"GET /cart:p99.9 [1m] < 1.5s ; abort", "p95<3xx", "latency<1s"} {
		t, err := threshold.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t)
	}
	// Output:
	// GET /cart: p99.9[1m]<1.5s;abort
	// threshold "p95<3xx": bad duration "3xx" (want e.g. 300ms, 1.5s)
	// threshold "latency<1s": unknown metric "latency" (want one of p50, p95, p99.9 (any pN), median, avg, min, max, fail_ratio, failures, requests, rps)
}
