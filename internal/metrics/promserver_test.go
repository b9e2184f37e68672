package metrics_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// grafanaVars are the dashboard's variables as Grafana fills them with
// "All" selected (allValue ".*") and a 1 s scrape interval
// ($__rate_interval is four scrape intervals).
var grafanaVars = strings.NewReplacer(`$job`, `.*`, `$name`, `.*`, `$__rate_interval`, `4s`)

// TestDashboardInPrometheus runs a real Prometheus server (Debian's
// prometheus package, with native histograms on) scraping a master with a
// worker that runs an open-model test with a threshold, and asks it every
// query of the Grafana dashboard, with the variables filled in as Grafana
// fills them: every panel gets data, and the figures are numbers (no NaN
// percentile from a histogram Prometheus could not read). Grafana itself
// cannot be installed where herd is developed; this is what it would ask.
func TestDashboardInPrometheus(t *testing.T) {
	t.Parallel()
	bin := findPrometheus(t)
	tg := newTarget(t)
	m := start(t, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "1",
		"--web-host", "127.0.0.1", "-P", "0", "--autostart", "--arrival-rate", "40/s", "-t", "5m",
		"--threshold", "p95<10s", "-H", tg.URL)
	port := m.logged(t, masterPort)
	base := m.logged(t, uiURL)
	start(t, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	prom := runPrometheus(t, bin, u.Host)

	panels := readDashboard(t)
	deadline := time.Now().Add(2 * time.Minute)
	for _, p := range panels {
		var last string
		for {
			ok, why := panelHasData(t, prom, p)
			if ok {
				break
			}
			last = why
			if time.Now().After(deadline) {
				t.Fatalf("panel %q never got data from Prometheus: %s", p.title, last)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("%d panels, every one with data", len(panels))
}

// panel is a dashboard panel's title and queries.
type panel struct {
	title string
	exprs []string
}

// readDashboard reads deploy/grafana/herd-dashboard.json's panels, rows'
// panels included.
func readDashboard(t *testing.T) []panel {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "herd-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	type raw struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []raw `json:"panels"`
	}
	var d struct {
		Panels []raw `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	var out []panel
	var walk func([]raw)
	walk = func(ps []raw) {
		for _, p := range ps {
			if len(p.Targets) > 0 {
				pn := panel{title: p.Title}
				for _, tg := range p.Targets {
					pn.exprs = append(pn.exprs, grafanaVars.Replace(tg.Expr))
				}
				out = append(out, pn)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if len(out) < 10 {
		t.Fatalf("%d panels with queries in the dashboard", len(out))
	}
	return out
}

// panelHasData asks Prometheus each of p's queries: p has data when
// every query is valid and one returns at least one series, all of whose
// values are numbers. A panel may show a series that is absent in some
// runs (a single process's CPU beside the workers'), so one is enough.
func panelHasData(t *testing.T, prom string, p panel) (bool, string) {
	t.Helper()
	why := ""
	for _, expr := range p.exprs {
		resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(expr))
		if err != nil {
			return false, err.Error()
		}
		var r struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  [2]any            `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil {
			return false, err.Error()
		}
		if r.Status != "success" {
			// Prometheus refused the query: the dashboard is wrong, not late.
			t.Fatalf("panel %q: Prometheus refuses %s: %s", p.title, expr, r.Error)
		}
		if len(r.Data.Result) == 0 {
			why += fmt.Sprintf("%s: no series; ", expr)
			continue
		}
		numbers := true
		for _, s := range r.Data.Result {
			v, _ := s.Value[1].(string)
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				numbers = false
				why += fmt.Sprintf("%s: %v = %q; ", expr, s.Metric, v)
			}
		}
		if numbers {
			return true, ""
		}
	}
	return false, why
}

// findPrometheus finds Debian's prometheus; without it the test skips,
// unless HERD_E2E=required (CI installs it).
func findPrometheus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatal("HERD_E2E=required but prometheus is not installed: apt-get install prometheus")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus); set HERD_E2E=required to fail instead")
	}
	return bin
}

// runPrometheus starts a Prometheus server scraping target (host:port,
// path /metrics) every second, with native histograms on, and returns its
// URL once it is ready. The test's end stops it.
func runPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"+
		"scrape_configs:\n  - job_name: herd\n    static_configs:\n      - targets: ['%s']\n", target)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := serveOnFreePort(t, "prometheus", bin, "/-/ready", func(addr string, try int) []string {
		return []string{"--config.file=" + cfg, "--web.listen-address=" + addr,
			"--storage.tsdb.path=" + filepath.Join(dir, fmt.Sprint("data", try)), "--enable-feature=native-histograms"}
	})
	return "http://" + addr
}
