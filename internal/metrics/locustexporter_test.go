package metrics_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// exporterView is what ContainerSolutions/locust_exporter, the Prometheus
// exporter Locust users run beside Locust, reads: it polls only GET
// /stats/requests and decodes it with encoding/json into this shape (its
// fields and Go types, from its main.go in testdata/locust_exporter),
// ignoring decoding errors, so a field of another type would silently read
// as zero. It skips rows named "Total" (Locust's old total row; herd's,
// like Locust's since 1.0, is "Aggregated") and maps state "hatching" to 1
// and "running" to 2, anything else to 0. checkExporterView decodes
// strictly what the exporter decodes leniently; checkExporter runs the
// exporter itself.
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

// exporterBin is locust_exporter built from testdata/locust_exporter, once.
var exporterBin struct {
	once sync.Once
	path string
	err  error
}

// buildExporter builds locust_exporter's copy in testdata (its own
// module, whose dependencies come from the module proxy). Without a way
// to build it the test skips, unless HERD_E2E=required.
func buildExporter(t *testing.T) string {
	t.Helper()
	exporterBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "locust-exporter")
		if err != nil {
			exporterBin.err = err
			return
		}
		exporterBin.path = filepath.Join(dir, "locust_exporter")
		src, err := filepath.Abs(filepath.Join("testdata", "locust_exporter"))
		if err != nil {
			exporterBin.err = err
			return
		}
		cmd := exec.Command("go", "build", "-o", exporterBin.path, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			exporterBin.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if exporterBin.err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("HERD_E2E=required but locust_exporter does not build: %v", exporterBin.err)
		}
		t.Skipf("locust_exporter does not build (set HERD_E2E=required to fail instead): %v", exporterBin.err)
	}
	return exporterBin.path
}

// runExporter starts locust_exporter pointed at herd's web UI (base, as a
// Locust user would: --locust.uri=http://host:port) and returns its
// /metrics URL once it answers. The test's end stops it.
func runExporter(t *testing.T, base string) string {
	t.Helper()
	addr := serveOnFreePort(t, "locust_exporter", buildExporter(t), "/metrics", func(addr string, _ int) []string {
		return []string{"--web.listen-address=" + addr, "--locust.uri=" + strings.TrimSuffix(base, "/"), "--locust.timeout=30s"}
	})
	return "http://" + addr + "/metrics"
}

// checkExporter runs locust_exporter against herd's web UI at base after
// the test stopped and checks what it exports, as a Prometheus server
// scraping it would read it: per endpoint locust_requests_num_requests is
// the target's count, the failures and errors agree, the exporter reached
// herd (locust_up 1), the test is stopped and, on a master, the workers
// are counted.
func checkExporter(t *testing.T, base string, want map[string]int, workers int) {
	t.Helper()
	fams := scrape(t, runExporter(t, base), acceptText, "")
	value := func(m *dto.Metric) float64 { return m.GetGauge().GetValue() }
	label := func(m *dto.Metric, name string) string {
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				return l.GetValue()
			}
		}
		return ""
	}
	one := func(name string) float64 {
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 {
			t.Fatalf("locust_exporter exports no %s", name)
		}
		return value(f.GetMetric()[0])
	}
	if up := one("locust_up"); up != 1 {
		t.Fatalf("locust_up %v: the exporter could not read herd", up)
	}
	got := map[string]int{}
	failures := 0.0
	for _, m := range fams["locust_requests_num_requests"].GetMetric() {
		if n := label(m, "name"); n != "Aggregated" {
			got[label(m, "method")+" "+n] = int(value(m))
		}
	}
	for _, m := range fams["locust_requests_num_failures"].GetMetric() {
		if label(m, "name") != "Aggregated" {
			failures += value(m)
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: locust_exporter exports %d requests, the target counted %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("locust_exporter exports rows %v, want %v", got, want)
	}
	errs := 0.0
	for _, m := range fams["locust_errors"].GetMetric() {
		errs += value(m)
	}
	if failures == 0 || errs != failures {
		t.Errorf("locust_exporter: %v failures, %v in locust_errors", failures, errs)
	}
	if r, u := one("locust_running"), one("locust_users"); r != 0 || u != 0 {
		t.Errorf("locust_exporter: running %v with %v users after the stop", r, u)
	}
	if w := one("locust_workers_count"); int(w) != workers {
		t.Errorf("locust_exporter: %v workers, want %d", w, workers)
	}
}
