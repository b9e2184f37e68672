package herd_test

import (
	"context"
	"fmt"

	"github.com/herdload/herd"
)

// A master adds up a count its workers put in their reports: whether a
// worker's msgpack carried it as an int64 (herd) or a float64 (a Python
// worker's 3.0), ReportInt reads it.
func ExampleReportInt() {
	var total int64
	test := &herd.Test{}
	test.Events.OnReportToMaster(func(_ context.Context, data map[string]any) {
		data["items"] = 3 // a worker's count since its last report
	})
	test.Events.OnWorkerReport(func(_ context.Context, worker string, data map[string]any) {
		if n, ok := herd.ReportInt(data, "items"); ok {
			total += n
		}
	})

	// What two reports can carry:
	for _, data := range []map[string]any{{"items": int64(3)}, {"items": 3.0}} {
		n, ok := herd.ReportInt(data, "items")
		fmt.Println(n, ok)
	}
	// Output:
	// 3 true
	// 3 true
}

// A worker reports per-endpoint sums as a nested map; the master reads it
// with ReportMap, then each value with ReportInt.
func ExampleReportMap() {
	data := map[string]any{"content-length": map[string]any{"/": int64(300), "/stats": 74.0}}
	sums, _ := herd.ReportMap(data, "content-length")
	n, _ := herd.ReportInt(sums, "/stats")
	fmt.Println(len(sums), n)
	// Output: 2 74
}
