package metrics_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// ContainerSolutions/locust_exporter, the Prometheus exporter Locust users
// run beside Locust, cannot be built here: the Go module proxy does not
// serve github.com/ContainerSolutions/locust_exporter (403, "This module
// version is not available", for the version list and for v0.5.2). So
// the test checks what it reads instead: it polls only GET /stats/requests
// and decodes it with encoding/json into the shape below (its fields and
// Go types), ignoring decoding errors, so a field of another type would
// silently read as zero. It skips rows named "Total" (Locust's old
// total row; herd's, like Locust's since 1.0, is "Aggregated") and maps
// state "hatching" to 1 and "running" to 2, anything else to 0.
type exporterView struct {
	Stats []struct {
		Method             string  `json:"method"`
		Name               string  `json:"name"`
		NumRequests        int     `json:"num_requests"`
		NumFailures        int     `json:"num_failures"`
		AvgResponseTime    float64 `json:"avg_response_time"`
		CurrentFailPerSec  float64 `json:"current_fail_per_sec"`
		MinResponseTime    float64 `json:"min_response_time"`
		MaxResponseTime    float64 `json:"max_response_time"`
		CurrentRps         float64 `json:"current_rps"`
		MedianResponseTime float64 `json:"median_response_time"`
		AvgContentLength   float64 `json:"avg_content_length"`
	} `json:"stats"`
	Errors []struct {
		Method      string `json:"method"`
		Name        string `json:"name"`
		Error       string `json:"error"`
		Occurrences int    `json:"occurrences"`
	} `json:"errors"`
	TotalRps                                 float64 `json:"total_rps"`
	FailRatio                                float64 `json:"fail_ratio"`
	CurrentResponseTimePercentileNinetyFifth float64 `json:"current_response_time_percentile_95"`
	CurrentResponseTimePercentileFiftieth    float64 `json:"current_response_time_percentile_50"`
	WorkerCount                              int     `json:"worker_count,omitempty"`
	State                                    string  `json:"state"`
	UserCount                                int     `json:"user_count"`
	Workers                                  []struct {
		ID        string `json:"id"`
		State     string `json:"state"`
		UserCount int    `json:"user_count"`
	} `json:"workers"`
}

// checkExporterView decodes base's /stats/requests strictly (a type the
// exporter would misread is an error here) and compares what the exporter
// would export with the target's counts.
func checkExporterView(t *testing.T, base string, want map[string]int) {
	t.Helper()
	resp, err := http.Get(base + "stats/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v exporterView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("locust_exporter could not read /stats/requests: %v", err)
	}
	got := map[string]int{}
	failures, total := 0, 0
	for _, r := range v.Stats {
		if r.Name == "Aggregated" {
			total = r.NumRequests
			continue
		}
		got[r.Method+" "+r.Name] = r.NumRequests
		failures += r.NumFailures
		if r.NumRequests > 0 && (r.MaxResponseTime < r.MinResponseTime || r.AvgResponseTime <= 0) {
			t.Errorf("%s %s: response times %+v", r.Method, r.Name, r)
		}
	}
	sum := 0
	for k, n := range want {
		sum += n
		if got[k] != n {
			t.Errorf("%s: locust_exporter would export %d requests, the target counted %d", k, got[k], n)
		}
	}
	if len(got) != len(want) || total != sum {
		t.Errorf("rows %v (total %d), want %v (total %d)", got, total, want, sum)
	}
	errs := 0
	for _, e := range v.Errors {
		errs += e.Occurrences
	}
	if failures == 0 || errs != failures || v.FailRatio <= 0 {
		t.Errorf("%d failures, %d in errors, fail ratio %v", failures, errs, v.FailRatio)
	}
	if v.State != "stopped" || v.UserCount != 0 {
		t.Errorf("state %q with %d users", v.State, v.UserCount)
	}
}
