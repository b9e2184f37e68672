package web

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/herdload/herd/internal/stats"
)

func TestStopAndReset(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			_, ts := newTestServer(t, Options{}, fake)

			resp, body := do(t, ts, method, "/stop", nil, nil)
			wantStatus(t, resp, body, http.StatusOK)
			wantJSON(t, resp)
			got := decode[map[string]any](t, body)
			if got["success"] != true || got["message"] != "Test stopped" {
				t.Errorf("/stop = %s", body)
			}

			resp, body = do(t, ts, method, "/stats/reset", nil, nil)
			wantStatus(t, resp, body, http.StatusOK)
			if body != "ok" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("/stats/reset = %q (%s), want ok as text", body, resp.Header.Get("Content-Type"))
			}
			if _, stops, resets := fake.calls(); stops != 1 || resets != 1 {
				t.Errorf("stops, resets = %d, %d; want 1, 1", stops, resets)
			}
		})
	}
}

func TestStopRefusesOtherMethods(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	for _, method := range []string{http.MethodHead, http.MethodPut, http.MethodDelete} {
		for _, path := range []string{"/stop", "/stats/reset"} {
			resp, body := do(t, ts, method, path, nil, nil)
			wantStatus(t, resp, body, http.StatusMethodNotAllowed)
		}
	}
	if _, stops, resets := fake.calls(); stops+resets != 0 {
		t.Errorf("stops, resets = %d, %d; want none", stops, resets)
	}
	resp, body := get(t, ts, "/swarm")
	if resp.StatusCode == http.StatusOK {
		t.Errorf("GET /swarm = 200: %s", body)
	}
}

func TestStatsRequests(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status.State, fake.status.Users = StateRunning, 5
	_, ts := newTestServer(t, Options{}, fake)

	resp, body := get(t, ts, "/stats/requests")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	doc := decode[map[string]any](t, body)

	// Locust's top-level keys, nothing missing.
	for _, k := range []string{"stats", "errors", "total_rps", "fail_ratio",
		"current_response_time_percentile_95", "current_response_time_percentile_50", "state", "user_count"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if doc["state"] != "running" || fmt.Sprint(doc["user_count"]) != "5" {
		t.Errorf("state, user_count = %v, %v", doc["state"], doc["user_count"])
	}
	if fmt.Sprint(doc["total_rps"]) != "12.5" {
		t.Errorf("total_rps = %v, want the total's current rps 12.5", doc["total_rps"])
	}
	if got := fmt.Sprint(doc["fail_ratio"]); got != fmt.Sprint(3.0/110) {
		t.Errorf("fail_ratio = %v", got)
	}
	// The last history row's current percentiles: 95% is 95 ms, 50% 10 ms.
	if fmt.Sprint(doc["current_response_time_percentile_95"]) != "95" ||
		fmt.Sprint(doc["current_response_time_percentile_50"]) != "10" {
		t.Errorf("current percentiles = %v, %v", doc["current_response_time_percentile_95"], doc["current_response_time_percentile_50"])
	}

	rows := doc["stats"].([]any)
	if len(rows) != 3 {
		t.Fatalf("%d stats rows, want 2 entries + total", len(rows))
	}
	first := rows[0].(map[string]any)
	want := map[string]string{
		"method": "GET", "name": "/", "safe_name": "/", "num_requests": "100", "num_failures": "2",
		"avg_response_time": "12.345", "min_response_time": "1", "max_response_time": "251",
		"current_rps": "11.5", "current_fail_per_sec": "0.3", "median_response_time": "10",
		"ninetieth_response_time": "20", "ninety_ninth_response_time": "80", "avg_content_length": "512",
	}
	if len(first) != len(want) {
		t.Errorf("row has %d keys, want Locust's %d: %v", len(first), len(want), first)
	}
	for k, v := range want {
		if got := fmt.Sprint(first[k]); got != v {
			t.Errorf("stats[0].%s = %s, want %s", k, got, v)
		}
	}
	total := rows[2].(map[string]any)
	if total["name"] != stats.TotalName || total["method"] != nil {
		t.Errorf("total row = %v, want name Aggregated and method null (Locust's)", total)
	}

	errs := doc["errors"].([]any)
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2", len(errs))
	}
	e := errs[0].(map[string]any)
	if e["method"] != "GET" || e["name"] != "/" || fmt.Sprint(e["occurrences"]) != "2" ||
		e["error"] != "HTTP 500 &quot;oops&quot; it&#x27;s &lt;b&gt;bad&lt;/b&gt;" {
		t.Errorf("errors[0] = %v", e)
	}
}

func TestStatsRequestsBeforeHistory(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.snap, fake.history = nil, nil
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := get(t, ts, "/stats/requests")
	wantStatus(t, resp, body, http.StatusOK)
	doc := decode[map[string]any](t, body)
	if doc["current_response_time_percentile_95"] != nil {
		t.Errorf("p95 = %v, want null without history", doc["current_response_time_percentile_95"])
	}
	if rows := doc["stats"].([]any); len(rows) != 1 {
		t.Errorf("stats = %v, want only the total", rows)
	}
	if errs := doc["errors"].([]any); len(errs) != 0 {
		t.Errorf("errors = %v, want []", errs)
	}
}

func TestStatsRequestsTruncated(t *testing.T) {
	t.Parallel()
	snap := &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	for i := range 600 {
		snap.Entries = append(snap.Entries, stats.Entry{Method: "GET", Name: fmt.Sprintf("/%03d", i)})
		snap.Failures = append(snap.Failures, stats.Failure{Method: "GET", Name: fmt.Sprintf("/%03d", i), Error: "x", Occurrences: 1})
	}
	doc := locustRequestsDoc(snap, Status{}, nil)
	if len(doc.Stats) != 501 || doc.Stats[499].Name != "/499" || doc.Stats[500].Name != stats.TotalName {
		t.Errorf("got %d rows ending %q, want 500 entries then the total", len(doc.Stats), doc.Stats[len(doc.Stats)-1].Name)
	}
	if len(doc.Errors) != 500 {
		t.Errorf("got %d errors, want 500", len(doc.Errors))
	}
}

func TestExceptions(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	resp, body := get(t, ts, "/exceptions")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	doc := decode[map[string][]map[string]any](t, body)
	ex := doc["exceptions"]
	if len(ex) != 1 {
		t.Fatalf("exceptions = %v", ex)
	}
	want := map[string]string{
		"count":     "4",
		"msg":       "panic: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
		"traceback": "main.go:12 &lt;here&gt;",
		"nodes":     "w1, w2",
	}
	for k, v := range want {
		if got := fmt.Sprint(ex[0][k]); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestCSVDownloads(t *testing.T) {
	t.Parallel()
	fake := newFake()
	dir := t.TempDir()
	full := filepath.Join(dir, "run_stats_history.csv")
	if err := os.WriteFile(full, []byte("Timestamp,User Count\r\n1,2\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fake.fullHistory = full
	_, ts := newTestServer(t, Options{}, fake)

	tests := []struct {
		path, prefix, firstLine string
	}{
		{"/stats/requests/csv", "requests", "Type,Name,Request Count,Failure Count,"},
		{"/stats/failures/csv", "failures", "Method,Name,Error,Occurrences"},
		{"/exceptions/csv", "exceptions", "Count,Message,Traceback,Nodes"},
		{"/stats/requests_full_history/csv", "requests_full_history", "Timestamp,User Count"},
		{"/stats/history/csv", "stats_history", "Timestamp,User Count,Type,Name,"},
	}
	for _, tt := range tests {
		resp, body := get(t, ts, tt.path)
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("%s: Content-Type %q", tt.path, ct)
		}
		cd := resp.Header.Get("Content-Disposition")
		if !regexp.MustCompile(`^attachment; filename="` + tt.prefix + `_\d+\.csv"$`).MatchString(cd) {
			t.Errorf("%s: Content-Disposition %q", tt.path, cd)
		}
		if !strings.HasPrefix(body, tt.firstLine) {
			t.Errorf("%s: body starts %q, want %q", tt.path, body[:min(len(body), 60)], tt.firstLine)
		}
	}

	// The history CSV holds a row per history row.
	_, body := get(t, ts, "/stats/history/csv")
	if n := strings.Count(body, "\r\n"); n != 1+3 {
		t.Errorf("history CSV has %d lines, want header + 3", n)
	}
}

func TestFullHistoryCSVMissing(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	resp, body := get(t, ts, "/stats/requests_full_history/csv")
	wantStatus(t, resp, body, http.StatusNotFound)
}

func TestReport(t *testing.T) {
	t.Parallel()
	fake := newFake()
	render := func(w io.Writer, c Controller) error {
		_, err := fmt.Fprintf(w, "<!doctype html><p>%d users</p>", c.Status().Users)
		return err
	}
	_, ts := newTestServer(t, Options{Report: render}, fake)

	resp, body := get(t, ts, "/stats/report")
	wantStatus(t, resp, body, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("inline report has Content-Disposition %q", cd)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("report CSP %q", csp)
	}
	if body != "<!doctype html><p>0 users</p>" {
		t.Errorf("body %q", body)
	}

	resp, _ = get(t, ts, "/stats/report?download=1")
	if cd := resp.Header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="report_\d+\.html"$`).MatchString(cd) {
		t.Errorf("download Content-Disposition %q", cd)
	}
}

func TestReportFailsCleanly(t *testing.T) {
	t.Parallel()
	render := func(w io.Writer, c Controller) error {
		io.WriteString(w, "<html>half")
		return errBoom
	}
	_, ts := newTestServer(t, Options{Report: render}, newFake())
	resp, body := get(t, ts, "/stats/report")
	wantStatus(t, resp, body, http.StatusInternalServerError)
	if strings.Contains(body, "half") {
		t.Errorf("partial report served: %q", body)
	}

	_, ts = newTestServer(t, Options{}, newFake())
	resp, body = get(t, ts, "/stats/report")
	wantStatus(t, resp, body, http.StatusNotFound)
}

func TestTasks(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := get(t, ts, "/tasks")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	want := `{"per_class":{"WebUser":{"ratio":1,"tasks":{"index":{"ratio":1}}}},"total":{"WebUser":{"ratio":1,"tasks":{"index":{"ratio":1}}}}}` + "\n"
	if body != want {
		t.Errorf("/tasks = %s, want %s", body, want)
	}

	fake.mu.Lock()
	fake.tasks = TaskRatio{}
	fake.mu.Unlock()
	_, body = get(t, ts, "/tasks")
	if body != `{"per_class":{},"total":{}}`+"\n" {
		t.Errorf("empty /tasks = %s", body)
	}
}

// TestCSVDownloadsNeutralised: the web UI's CSV downloads go through the
// report's writers, so a formula in a name, a message or a node id comes
// out with a leading quote and a control byte as U+FFFD.
func TestCSVDownloadsNeutralised(t *testing.T) {
	t.Parallel()
	const link = `=HYPERLINK("http://evil.example/","x")`
	fake := newFake()
	snap := *fake.snap
	snap.Entries = append(slices.Clone(snap.Entries), snap.Entries[0])
	snap.Entries[len(snap.Entries)-1].Name = link + "\x1b"
	snap.Failures = []stats.Failure{{Method: "GET", Name: link, Error: "@cmd", Occurrences: 1}}
	snap.Errors = []stats.Error{{Message: "+1", Trace: "-x", Count: 1, Nodes: []string{"=w1"}}}
	fake.snap = &snap
	fake.history = []stats.HistoryRow{{Time: t0, Users: 1, Method: "GET", Name: link}}
	_, ts := newTestServer(t, Options{}, fake)
	for path, want := range map[string][]string{
		"/stats/requests/csv": {`"'=HYPERLINK(""http://evil.example/"",""x"")` + "\uFFFD\""},
		"/stats/failures/csv": {`"'=HYPERLINK(""http://evil.example/"",""x"")"`, ",'@cmd,"},
		"/exceptions/csv":     {"1,'+1,'-x,'=w1\r\n"},
		"/stats/history/csv":  {`,GET,"'=HYPERLINK(`},
	} {
		resp, body := get(t, ts, path)
		wantStatus(t, resp, body, http.StatusOK)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q:\n%s", path, w, body)
			}
		}
		if strings.Contains(body, "\x1b") || strings.Contains(body, `,"=`) || strings.Contains(body, ",=") {
			t.Errorf("%s: a raw formula or control byte:\n%q", path, body)
		}
	}
}
