package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

var (
	uiURL      = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/\S*)`)
	masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)
)

// start runs the test in-process with args and returns what its log
// matched with re (the UI's URL), or "" at once for a nil re; the run ends
// when the test does.
func start(t *testing.T, re *regexp.Regexp, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := new(porttest.Buffer)
	done := make(chan struct{})
	go func() {
		defer close(done)
		newTest().Run(ctx, herd.Env{Args: args, Stdout: logs, Stderr: logs})
	}()
	t.Cleanup(func() { cancel(); <-done })
	if re == nil {
		return ""
	}
	var m []string
	poll(t, "the log line "+re.String(), func() bool {
		m = re.FindStringSubmatch(logs.String())
		return m != nil
	})
	return m[1]
}

// poll waits for cond, bounded: a guard against hangs, not a budget.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func get(t *testing.T, u string) (string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v\n%s", u, resp.Status, err, b)
	}
	return string(b), resp.Header
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	body, _ := get(t, u)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", u, err, body)
	}
}

// stopped reports whether the UI's test has run and stopped.
func stopped(t *testing.T, ui string) bool {
	var st struct {
		State string `json:"state"`
	}
	getJSON(t, ui+"api/state", &st)
	return st.State == "stopped"
}

// matches reports whether /content-length gives every endpoint of the
// statistics (Locust's /stats/requests) its total size, and describes both.
func matches(t *testing.T, ui string) (bool, string) {
	var cl struct {
		Stats []struct {
			Name          string `json:"name"`
			SafeName      string `json:"safe_name"`
			ContentLength int64  `json:"content_length"`
		} `json:"stats"`
	}
	var sr struct {
		Stats []struct {
			Name     string  `json:"name"`
			Requests int     `json:"num_requests"`
			AvgSize  float64 `json:"avg_content_length"`
		} `json:"stats"`
	}
	getJSON(t, ui+"content-length", &cl)
	getJSON(t, ui+"stats/requests", &sr)
	want := map[string]int64{}
	for _, e := range sr.Stats {
		if e.Name != "Aggregated" && e.Requests > 0 {
			want[e.Name] = int64(math.Round(e.AvgSize * float64(e.Requests)))
		}
	}
	got := map[string]int64{}
	for _, r := range cl.Stats {
		got[r.Name] = r.ContentLength
	}
	desc := func() string {
		b, _ := json.Marshal(map[string]any{"content-length": got, "statistics": want})
		return string(b)
	}
	// Users pick their tasks at random: in a short run every request may
	// have gone to one endpoint, so the endpoints are the statistics'.
	if len(want) == 0 || len(got) != len(want) {
		return false, desc()
	}
	for name, n := range want {
		if got[name] != n || n == 0 {
			return false, desc()
		}
	}
	return true, desc()
}

// On its own: the tab is in the UI's state, its page and files are served
// under the base path, and once the test stopped the page's JSON and CSV
// have each endpoint's total content length, as the statistics do.
func TestContentLengthTab(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	ui := start(t, uiURL, "--web-host", "127.0.0.1", "-P", "0", "--web-base-path", "/locust",
		"--autostart", "-u", "8", "-r", "8", "-t", "3s", "-H", target.URL)
	if !strings.HasSuffix(ui, "/locust/") {
		t.Fatalf("UI at %s", ui)
	}
	var st struct {
		Tabs []struct{ Title, URL string } `json:"tabs"`
	}
	getJSON(t, ui+"api/state", &st)
	if len(st.Tabs) != 1 || st.Tabs[0].Title != "Content Length" || st.Tabs[0].URL != "extend/" {
		t.Errorf("tabs: %+v", st.Tabs)
	}
	if page, _ := get(t, ui+"extend/"); !strings.Contains(page, `<table id="content-length"`) || !strings.Contains(page, `src="extend.js"`) {
		t.Errorf("the page: %s", page)
	}
	if _, h := get(t, ui+"extend/extend.js"); !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Errorf("extend.js served as %q", h.Get("Content-Type"))
	}
	get(t, ui+"extend/custom-stats-table.css")

	poll(t, "the test's end", func() bool { return stopped(t, ui) })
	if ok, desc := matches(t, ui); !ok {
		t.Fatalf("content lengths and statistics differ: %s", desc)
	}
	csv, h := get(t, ui+"content-length/csv")
	if !strings.HasPrefix(csv, "Name,Total content-length\n/,") || !strings.Contains(csv, "\n/stats/requests,") ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;filename=content_length") {
		t.Errorf("CSV %q, %v", csv, h)
	}
}

// Distributed: the tab is the master's, and the sums its workers send in
// their reports add up to the master's statistics.
func TestContentLengthTabOverWorkers(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	var ui string
	masterLog := new(porttest.Buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		newTest().Run(ctx, herd.Env{Stdout: masterLog, Stderr: masterLog, Args: []string{
			"--web-host", "127.0.0.1", "-P", "0", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0",
			"--expect-workers", "2", "--autostart", "-u", "8", "-r", "8", "-t", "3s", "-H", target.URL}})
	}()
	t.Cleanup(func() { cancel(); <-done })
	var port string
	poll(t, "the master", func() bool {
		m, p := uiURL.FindStringSubmatch(masterLog.String()), masterPort.FindStringSubmatch(masterLog.String())
		if m != nil && p != nil {
			ui, port = m[1], p[1]
		}
		return ui != ""
	})
	for range 2 {
		start(t, nil, "--worker", "--master-host", "127.0.0.1", "--master-port", port)
	}
	poll(t, "the test's end", func() bool { return stopped(t, ui) })
	// The workers' last reports arrive after the stop.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, d := matches(t, ui)
		if ok {
			t.Log(d)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the workers' sums: %s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
