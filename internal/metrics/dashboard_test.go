package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// metricNames are the names of every metric the Collector describes.
func metricNames(t *testing.T) []string {
	t.Helper()
	ch := make(chan *prometheus.Desc, 32)
	NewCollector(&fakeSource{}).Describe(ch)
	close(ch)
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	var names []string
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		names = append(names, m[1])
	}
	return names
}

// dashboardPanel is what the test reads of a Grafana panel.
type dashboardPanel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // a row's
}

// TestGrafanaDashboard: deploy/grafana/herd-dashboard.json parses, every
// panel queries Prometheus, and every herd_ metric its PromQL names
// exists (a histogram's _bucket, _sum and _count series included), its
// percentiles read the native histogram.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "herd-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string           `json:"title"`
		UID    string           `json:"uid"`
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("title %q, uid %q, %d panels", dash.Title, dash.UID, len(dash.Panels))
	}
	known := map[string]bool{}
	for _, n := range metricNames(t) {
		known[n] = true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		known["herd_request_duration_seconds"+suffix] = true
	}
	ident := regexp.MustCompile(`\bherd_[a-z_]+\b`)
	used := map[string]bool{}
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				names := ident.FindAllString(tg.Expr, -1)
				if len(names) == 0 || strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") ||
					strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") {
					t.Errorf("panel %q: query %q", p.Title, tg.Expr)
				}
				for _, n := range names {
					if !known[n] {
						t.Errorf("panel %q queries %s, which herd does not export", p.Title, n)
					}
					used[n] = true
				}
				if strings.Contains(tg.Expr, "histogram_quantile") && strings.Contains(tg.Expr, "_bucket") {
					t.Errorf("panel %q reads classic buckets; the dashboard reads the native histogram", p.Title)
				}
			}
		}
	}
	walk(dash.Panels)
	for _, n := range []string{"herd_requests_total", "herd_request_failures_total", "herd_request_duration_seconds",
		"herd_users", "herd_workers"} {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// TestMetricsDocumented: docs/metrics.md names every metric.
func TestMetricsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range metricNames(t) {
		if !strings.Contains(string(doc), "`"+n+"`") && !strings.Contains(string(doc), "`"+n+"{") {
			t.Errorf("docs/metrics.md does not document %s", n)
		}
	}
}
