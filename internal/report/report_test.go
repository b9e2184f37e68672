package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

	longName = "/api/v2/organisations/{org}/projects/{project}/environments/{env}/deployments/{deployment}/logs"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// pcts builds the percentiles of an entry from its median and maximum.
func pcts(vals ...float64) []time.Duration {
	if len(vals) != len(stats.Percentiles) {
		panic("pcts: wrong length")
	}
	out := make([]time.Duration, len(vals))
	for i, v := range vals {
		out[i] = ms(v)
	}
	return out
}

// fixture is a snapshot exercising every rendering rule: sub-millisecond,
// 10–100 ms and ≥ 100 ms latencies, an entry without requests, names with
// commas, quotes, newlines and Unicode, a name longer than the Name column,
// a long custom request kind, failures, and a panic with a long trace.
func fixture() *stats.Snapshot {
	entries := []stats.Entry{
		{
			Method: "GET", Name: "/", Requests: 12000, Failures: 0,
			Min: 42 * time.Microsecond, Max: ms(1234.567), Mean: ms(0.8765), Median: 640 * time.Microsecond,
			Percentiles: pcts(0.64, 0.7, 0.75, 0.81, 0.9, 1.2, 3.5, 9.999, 45.25, 250.5, 1234.567),
			TotalSize:   12000 * 512, RPS: 200, FailPerSec: 0, CurrentRPS: 210.5, CurrentFailPerSec: 0,
		},
		{
			Method: "POST", Name: `/api/items?tags=a,b`, Requests: 300, Failures: 7,
			Min: ms(12.5), Max: ms(480), Mean: ms(85.3333), Median: ms(72),
			Percentiles: pcts(72, 80, 90, 95, 120, 160, 250, 300, 470, 480, 480),
			TotalSize:   300 * 77, RPS: 5, FailPerSec: 7.0 / 60, CurrentRPS: 4.9, CurrentFailPerSec: 0.1,
		},
		{
			Method: "GET", Name: `/search?q="herd"`, Requests: 3, Failures: 3,
			Min: ms(1.5), Max: ms(2.25), Mean: ms(1.9166667), Median: ms(2),
			Percentiles: pcts(2, 2, 2.25, 2.25, 2.25, 2.25, 2.25, 2.25, 2.25, 2.25, 2.25),
			RPS:         0.05, FailPerSec: 0.05, CurrentRPS: 0, CurrentFailPerSec: 0,
		},
		{
			Method: "GET", Name: "/two\nlines", Requests: 1, Failures: 0,
			Min: ms(99.96), Max: ms(99.96), Mean: ms(99.96), Median: ms(99.96),
			Percentiles: pcts(99.96, 99.96, 99.96, 99.96, 99.96, 99.96, 99.96, 99.96, 99.96, 99.96, 99.96),
			TotalSize:   3, RPS: 1.0 / 60, CurrentRPS: 0.1,
		},
		{
			Method: "GET", Name: "/café/日本語", Requests: 40, Failures: 1,
			Min: ms(9.996), Max: ms(30000), Mean: ms(760.25), Median: ms(15.55),
			Percentiles: pcts(15.55, 16, 18, 20, 25, 40, 1500, 29000, 30000, 30000, 30000),
			TotalSize:   40 * 2048, RPS: 40.0 / 60, FailPerSec: 1.0 / 60, CurrentRPS: 0.7, CurrentFailPerSec: 0,
		},
		{
			Method: "GET", Name: longName, Requests: 2, Failures: 0,
			Min: ms(150), Max: ms(250), Mean: ms(200), Median: ms(150),
			Percentiles: pcts(150, 250, 250, 250, 250, 250, 250, 250, 250, 250, 250),
			TotalSize:   20, RPS: 2.0 / 60, CurrentRPS: 0,
		},
		{
			// Declared but never run: no requests, no percentiles.
			Method: "SUBSCRIBE", Name: "ticker",
			Percentiles: make([]time.Duration, len(stats.Percentiles)),
		},
	}
	total := stats.Entry{
		Method: "", Name: stats.TotalName, Requests: 12346, Failures: 11,
		Min: 42 * time.Microsecond, Max: ms(30000), Mean: ms(6.2468), Median: 660 * time.Microsecond,
		Percentiles: pcts(0.66, 0.72, 0.78, 0.85, 1, 1.5, 5, 80, 470, 29000, 30000),
		TotalSize:   12000*512 + 300*77 + 3 + 40*2048 + 20,
		RPS:         12346.0 / 60, FailPerSec: 11.0 / 60, CurrentRPS: 216.2, CurrentFailPerSec: 0.1,
	}
	return &stats.Snapshot{
		Time:     t0.Add(time.Minute + 234567*time.Microsecond),
		Start:    t0,
		Duration: time.Minute + 234567*time.Microsecond,
		Users:    50,
		Entries:  entries,
		Total:    total,
		Failures: []stats.Failure{
			{Method: "POST", Name: `/api/items?tags=a,b`, Error: `HTTP 500: {"error": "db, down"}`, Occurrences: 7},
			{Method: "GET", Name: `/search?q="herd"`, Error: "HTTP 404 Not Found", Occurrences: 3},
			{Method: "GET", Name: "/café/日本語", Error: "read tcp 127.0.0.1:4242: i/o timeout\n(after 30s)", Occurrences: 1},
		},
		Errors: []stats.Error{
			{
				Message: "panic: runtime error: index out of range [3] with length 3",
				Trace: "goroutine 42 [running]:\n" +
					"example.com/load.(*shopper).checkout(0xc000123400)\n" +
					"\t/src/load/shop.go:88 +0x1d4\n" +
					"example.com/load.(*shopper).Run(0xc000123400, {0x8a3e40, 0xc0001a2000})\n" +
					"\t/src/load/shop.go:41 +0x9c\n" +
					"github.com/herdload/herd/internal/runner.(*user).loop(0xc0000b6000)\n" +
					"\t/src/herd/internal/runner/user.go:120 +0x1b0\n" +
					"github.com/herdload/herd/internal/runner.(*user).run(0xc0000b6000)\n" +
					"\t/src/herd/internal/runner/user.go:97 +0x58\n" +
					"created by github.com/herdload/herd/internal/runner.(*Runner).spawn in goroutine 7\n" +
					"\t/src/herd/internal/runner/runner.go:210 +0x125\n" +
					"extra line 1\nextra line 2\n",
				Count: 4,
			},
			{
				Message: "login: unexpected status 403\nbody: \"forbidden, go away\"",
				Trace:   "/src/load/login.go:17",
				Count:   1,
				Nodes:   []string{"worker-1", "worker-2"},
			},
		},
	}
}

func fixtureHistory() []stats.HistoryRow {
	return []stats.HistoryRow{
		{
			Time: t0.Add(time.Second), Users: 10, Method: "GET", Name: "/",
			CurrentRPS: 12.5, CurrentFailPerSec: 0,
			CurrentPercentiles: pcts(0.64, 0.7, 0.75, 0.81, 0.9, 1.2, 3.5, 9.999, 45.25, 250.5, 1234.567),
			Requests:           13, Median: 640 * time.Microsecond, Mean: ms(0.8765), Min: 42 * time.Microsecond, Max: ms(1.5),
			AvgSize: 512,
		},
		{
			// No request in the window yet.
			Time: t0.Add(time.Second), Users: 10, Method: "POST", Name: `/api/items?tags=a,b`,
		},
		{
			Time: t0.Add(time.Second + 900*time.Millisecond), Users: 10, Method: "", Name: stats.TotalName,
			CurrentRPS: 1.0 / 3, CurrentFailPerSec: 2.0 / 3,
			CurrentPercentiles: pcts(0.66, 0.72, 0.78, 0.85, 1, 1.5, 5, 80, 470, 29000, 30000),
			Requests:           14, Failures: 1, Median: 660 * time.Microsecond, Mean: ms(6.2468), Min: 42 * time.Microsecond, Max: ms(30000),
			AvgSize: 475.5714285714286,
		},
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update after checking):\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	console := func(f func(io.Writer, *stats.Snapshot)) func(io.Writer, *stats.Snapshot) error {
		return func(w io.Writer, s *stats.Snapshot) error { f(w, s); return nil }
	}
	for _, tc := range []struct {
		file  string
		write func(io.Writer, *stats.Snapshot) error
	}{
		{"stats_current.txt", console(func(w io.Writer, s *stats.Snapshot) { WriteStats(w, s, true) })},
		{"stats_total.txt", console(func(w io.Writer, s *stats.Snapshot) { WriteStats(w, s, false) })},
		{"percentiles.txt", console(WritePercentiles)},
		{"failures.txt", console(WriteFailures)},
		{"errors.txt", console(WriteErrors)},
		{"summary.txt", console(WriteSummary)},
		{"stats.csv", WriteStatsCSV},
		{"failures.csv", WriteFailuresCSV},
		{"exceptions.csv", WriteExceptionsCSV},
		{"stats_history.csv", func(w io.Writer, _ *stats.Snapshot) error {
			if err := WriteHistoryHeader(w); err != nil {
				return err
			}
			return WriteHistoryRows(w, fixtureHistory())
		}},
		{"report.json", func(w io.Writer, s *stats.Snapshot) error { return WriteJSON(w, s, fixtureHistory()) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := tc.write(&b, fixture()); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

// TestConsoleLayout checks properties the golden files only show: every
// table line has the same width in terminal columns, and names are escaped
// and cut.
func TestConsoleLayout(t *testing.T) {
	t.Parallel()
	s := fixture()
	var b bytes.Buffer
	WriteStats(&b, s, true)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(s.Entries)+4 {
		t.Fatalf("got %d lines, want %d", len(lines), len(s.Entries)+4)
	}
	want := width(lines[0])
	for _, l := range lines {
		if n := width(l); n != want {
			t.Errorf("line %q is %d columns wide, want %d", l, n, want)
		}
	}
	if want := 80; !strings.Contains(b.String(), string([]rune(longName)[:want-1])+"… ") {
		t.Errorf("long name not cut to %d runes with an ellipsis:\n%s", want, b.String())
	}
	if !strings.Contains(b.String(), `/two\nlines`) {
		t.Errorf("newline in a name not escaped:\n%s", b.String())
	}

	// Short names: the Name column shrinks to its minimum.
	short := &stats.Snapshot{
		Entries: []stats.Entry{{Method: "GET", Name: "/"}},
		Total:   stats.Entry{Name: stats.TotalName},
	}
	b.Reset()
	WriteStats(&b, short, false)
	if first, _, _ := strings.Cut(b.String(), "\n"); !strings.HasPrefix(first, "Type     Name"+strings.Repeat(" ", minNameWidth-4)+"  # reqs") {
		t.Errorf("header %q: Name column not %d wide", first, minNameWidth)
	}
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	s := &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	var b bytes.Buffer
	WriteFailures(&b, s)
	WriteErrors(&b, s)
	if b.Len() != 0 {
		t.Errorf("WriteFailures and WriteErrors wrote %q for an empty snapshot", b.String())
	}
	WritePercentiles(&b, s)
	if got := strings.Count(b.String(), "\n"); got != 4 {
		t.Errorf("percentiles of an empty snapshot: %d lines, want title, header and 2 separators:\n%s", got, b.String())
	}
	b.Reset()
	if err := WriteJSON(&b, s, nil); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"stats", "failures", "errors", "history"} {
		if l, ok := doc[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, doc[k])
		}
	}
	if p, ok := doc["total"].(map[string]any)["percentiles"].(map[string]any); !ok || len(p) != 0 {
		t.Errorf("total.percentiles = %#v, want {}", doc["total"].(map[string]any)["percentiles"])
	}
}

func TestJSONNoNaN(t *testing.T) {
	t.Parallel()
	s := fixture()
	s.Total.RPS, s.Total.CurrentFailPerSec = math.NaN(), math.Inf(1)
	s.Errors[1].Nodes = nil
	h := fixtureHistory()
	h[0].CurrentRPS, h[0].AvgSize = math.Inf(-1), math.NaN()
	var b bytes.Buffer
	if err := WriteJSON(&b, s, h); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Total   map[string]any   `json:"total"`
		Errors  []map[string]any `json:"errors"`
		History []map[string]any `json:"history"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Total["total_rps"] != 0.0 || doc.Total["current_fail_per_sec"] != 0.0 {
		t.Errorf("NaN/Inf not replaced by 0: %v", doc.Total)
	}
	if n, ok := doc.Errors[1]["nodes"].([]any); !ok || len(n) != 0 {
		t.Errorf("nodes = %#v, want []", doc.Errors[1]["nodes"])
	}
	if doc.History[0]["current_rps"] != 0.0 || doc.History[0]["avg_content_length"] != 0.0 {
		t.Errorf("NaN/Inf not replaced by 0: %v", doc.History[0])
	}
}

func TestPercentileLabel(t *testing.T) {
	t.Parallel()
	// Expected values printed by Locust's get_readable_percentiles.
	for q, want := range map[float64]string{
		0.5: "50%", 0.66: "66%", 0.95: "95%", 0.999: "99.9%", 0.9999: "99.99%",
		1: "100%", 0: "0%", 0.29: "29.0%", 0.123456789: "12.345679%",
	} {
		if got := PercentileLabel(q); got != want {
			t.Errorf("PercentileLabel(%v) = %q, want %q", q, got, want)
		}
	}
}

func TestMilliseconds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d            time.Duration
		csv, console string
		json         float64
	}{
		{0, "0", "0.00", 0},
		{42 * time.Microsecond, "0.042", "0.04", 0.042},
		{42*time.Microsecond + 499, "0.042", "0.04", 0.042},
		{42*time.Microsecond + 500, "0.043", "0.04", 0.043},
		{ms(9.996), "9.996", "10.0", 9.996},
		{ms(12), "12", "12.0", 12},
		{ms(12.5), "12.5", "12.5", 12.5},
		{ms(99.96), "99.96", "100", 99.96},
		{ms(1234.567), "1234.567", "1235", 1234.567},
		{-ms(1.5), "-1.5", "-1.50", -1.5},
	} {
		if got := csvMs(tc.d); got != tc.csv {
			t.Errorf("csvMs(%v) = %q, want %q", tc.d, got, tc.csv)
		}
		if got := consoleMs(tc.d); got != tc.console {
			t.Errorf("consoleMs(%v) = %q, want %q", tc.d, got, tc.console)
		}
		if got := jsonMs(tc.d); got != tc.json {
			t.Errorf("jsonMs(%v) = %v, want %v", tc.d, got, tc.json)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		n       int
		want    string
		columns int
	}{
		{"abc", 3, "abc", 3},
		{"abcd", 3, "ab…", 3},
		{"日本語", 6, "日本語", 6},
		{"日本語", 5, "日本…", 5},
		{"日本語", 4, "日…", 3},                  // a wide rune doesn't fit in 1 column
		{"cafe\u0301s", 5, "cafe\u0301s", 5}, // combining accent: no column
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…", 2},
	} {
		got := truncate(tc.in, tc.n)
		if got != tc.want || width(got) != tc.columns {
			t.Errorf("truncate(%q, %d) = %q (%d columns), want %q (%d columns)",
				tc.in, tc.n, got, width(got), tc.want, tc.columns)
		}
	}
	if got, want := printable("a\tb\x1b[31m\xff"), "a\\tb\\x1b[31m\uFFFD"; got != want {
		t.Errorf("printable = %q, want %q", got, want)
	}
}

func TestAppendRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fields []string
		want   string
	}{
		{[]string{"a", "b"}, "a,b\r\n"},
		{[]string{"", "Aggregated"}, ",Aggregated\r\n"},
		{[]string{""}, "\"\"\r\n"},
		{[]string{"a,b", `say "hi"`, "x\ny", "cr\r", " lead"}, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"cr\r\", lead\r\n"},
	} {
		if got := string(appendRecord(nil, tc.fields...)); got != tc.want {
			t.Errorf("appendRecord(%q) = %q, want %q", tc.fields, got, tc.want)
		}
	}
}
