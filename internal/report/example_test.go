package report_test

import (
	"os"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

func ExampleWriteStats() {
	home := stats.Entry{
		Method: "GET", Name: "/", Requests: 4, Failures: 1,
		Min: 420 * time.Microsecond, Max: 12500 * time.Microsecond,
		Mean: 4 * time.Millisecond, Median: 1500 * time.Microsecond,
		Percentiles: []time.Duration{
			1500 * time.Microsecond, 1500 * time.Microsecond, 1600 * time.Microsecond,
			1600 * time.Microsecond, 12500 * time.Microsecond, 12500 * time.Microsecond,
			12500 * time.Microsecond, 12500 * time.Microsecond, 12500 * time.Microsecond,
			12500 * time.Microsecond, 12500 * time.Microsecond,
		},
		TotalSize: 2048, RPS: 2, FailPerSec: 0.5,
	}
	total := home
	total.Method, total.Name = "", stats.TotalName
	s := &stats.Snapshot{Entries: []stats.Entry{home}, Total: total}

	report.WriteStats(os.Stdout, s, false)
	// Output:
	// Type     Name                      # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
	// --------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	// GET      /                              4    1(25.00%) |   4.00    0.42    12.5   1.50 |    2.00        0.50
	// --------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	//          Aggregated                     4    1(25.00%) |   4.00    0.42    12.5   1.50 |    2.00        0.50
}
