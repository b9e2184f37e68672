package metrics_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestHeadlessExports runs headless with every export at once: --metrics-port
// (behind --web-auth) is scraped during the run, which is then interrupted
// (Ctrl-C); the last OTLP push and the last --jsonl lines hold the
// target's counts.
func TestHeadlessExports(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	rc := newReceiver(t)
	jsonl := filepath.Join(t.TempDir(), "history.jsonl")
	p := start(t, "--headless", "-u", "4", "-r", "100", "-s", "10s", "-H", tg.URL,
		"--web-host", "127.0.0.1", "--web-auth", "u:p", "--metrics-port", "0", "--otlp-endpoint", rc.URL, "--jsonl", jsonl)
	url := p.logged(t, metricsURL)

	// Only /metrics, only with the credentials.
	for path, auth := range map[string]bool{"/": true, "/api/state": true, "/metrics": false} {
		req, _ := http.NewRequest("GET", url[:len(url)-len("/metrics")]+path, nil)
		if auth {
			req.SetBasicAuth("u", "p")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 404, false: 401}[auth]; resp.StatusCode != want {
			t.Errorf("GET %s (auth %v): %s, want %d", path, auth, resp.Status, want)
		}
	}
	whileRunning(t, p, func(accept string) (map[string]*dto.MetricFamily, error) {
		return tryScrape(url, accept, "u:p")
	})
	p.cancel()                        // Ctrl-C: a graceful stop, every report written
	if code := p.wait(t); code != 1 { // /flaky fails
		t.Errorf("exit code %d, want 1:\n%s", code, p.stderr.String())
	}
	want := tg.snapshot()
	total := 0
	for _, n := range want {
		total += n
	}

	req := rc.last()
	if req == nil {
		t.Fatal("nothing was pushed over OTLP")
	}
	got := endpoints(req)
	for k, n := range want {
		e := got[k]
		if e == nil || e.requests != int64(n) || e.hist.GetCount() != uint64(n) || bucketTotal(e.hist) != uint64(n) {
			t.Errorf("%s: the last OTLP push says %+v, the target counted %d", k, e, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("OTLP endpoints %v, want %v", got, want)
	}
	if role := attrMap(req.GetResourceMetrics()[0].GetResource().GetAttributes())["herd.node.role"]; role != "standalone" {
		t.Errorf("herd.node.role %q", role)
	}

	f, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := map[string]int{}
	var lines, lastTime int64
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var row struct {
			Timestamp int64  `json:"timestamp"`
			Method    string `json:"method"`
			Name      string `json:"name"`
			Requests  int    `json:"num_requests"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v: %s", lines+1, err, sc.Bytes())
		}
		if row.Timestamp < lastTime {
			t.Errorf("line %d goes back in time", lines+1)
		}
		lastTime = row.Timestamp
		last[row.Method+" "+row.Name] = row.Requests
	}
	for k, n := range want {
		if last[k] != n {
			t.Errorf("%s: the last --jsonl line says %d, the target counted %d", k, last[k], n)
		}
	}
	if last[" Aggregated"] != total || lines < 2*int64(len(want)+1) {
		t.Errorf("%d lines, the last total %d, want %d", lines, last[" Aggregated"], total)
	}
}
