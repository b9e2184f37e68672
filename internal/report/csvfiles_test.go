package report

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// Header lines of the files Locust 2.12.1 writes, copied from its output.
var locustHeaders = map[string]string{
	"_stats.csv": "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time," +
		"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n",
	"_stats_history.csv": "Timestamp,User Count,Type,Name,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%," +
		"Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time," +
		"Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n",
	"_failures.csv":   "Method,Name,Error,Occurrences\r\n",
	"_exceptions.csv": "Count,Message,Traceback,Nodes\r\n",
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpenCSV(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "run")
	f, err := OpenCSV(prefix, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.FullHistory() {
		t.Error("FullHistory() = false, want true")
	}
	for suffix, header := range locustHeaders {
		got := readFile(t, prefix+suffix)
		want := header
		if suffix == statsSuffix {
			// The stats file always holds the total row.
			want += ",Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\r\n"
		}
		if got != want {
			t.Errorf("%s after OpenCSV:\n got %q\nwant %q", suffix, got, want)
		}
	}
}

func TestCSVFilesUpdate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "run")
	f, err := OpenCSV(prefix, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := fixture()
	for range 2 { // a second update replaces, doesn't append
		if err := f.Update(s); err != nil {
			t.Fatal(err)
		}
	}
	for suffix, write := range map[string]func(*bytes.Buffer) error{
		statsSuffix:      func(b *bytes.Buffer) error { return WriteStatsCSV(b, s) },
		failuresSuffix:   func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
		exceptionsSuffix: func(b *bytes.Buffer) error { return WriteExceptionsCSV(b, s) },
	} {
		var want bytes.Buffer
		if err := write(&want); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, prefix+suffix); got != want.String() {
			t.Errorf("%s after Update:\n got %q\nwant %q", suffix, got, want.String())
		}
		info, err := os.Stat(prefix + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o644 {
			t.Errorf("%s: mode %v, want 0644", suffix, perm)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want the 4 CSV files and no temporary file", names)
	}
}

func TestCSVFilesAppendHistory(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "run")
	f, err := OpenCSV(prefix, true, false)
	if err != nil {
		t.Fatal(err)
	}
	rows := fixtureHistory()
	if err := f.AppendHistory(rows[:1]); err != nil {
		t.Fatal(err)
	}
	if err := f.AppendHistory(nil); err != nil {
		t.Fatal(err)
	}
	if err := f.AppendHistory(rows[1:]); err != nil {
		t.Fatal(err)
	}
	// Flushed already: readable before Close.
	var want bytes.Buffer
	want.WriteString(locustHeaders[historySuffix])
	if err := WriteHistoryRows(&want, rows); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, prefix+historySuffix); got != want.String() {
		t.Errorf("history:\n got %q\nwant %q", got, want.String())
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := f.AppendHistory(rows); err == nil || !strings.Contains(err.Error(), "run_stats_history.csv") {
		t.Errorf("AppendHistory after Close: %v, want an error naming the file", err)
	}
	if err := f.Update(fixture()); err == nil {
		t.Error("Update after Close: no error")
	}
}

func TestOpenCSVError(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "missing", "run")
	_, err := OpenCSV(prefix, false, false)
	if err == nil {
		t.Fatal("OpenCSV in a missing directory: no error")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "run_stats.csv") {
		t.Errorf("error %q: want fs.ErrNotExist naming the file", err)
	}
}

// TestCSVFilesAtomic reads the stats file while it is rewritten: a reader
// must only ever see one of the complete versions.
func TestCSVFilesAtomic(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "run")
	f, err := OpenCSV(prefix, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big, small := fixture(), &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	valid := map[string]bool{}
	for _, s := range []*stats.Snapshot{big, small} {
		var b bytes.Buffer
		if err := WriteStatsCSV(&b, s); err != nil {
			t.Fatal(err)
		}
		valid[b.String()] = true
	}

	const updates = 200
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range updates {
			s := big
			if i%2 == 1 {
				s = small
			}
			if err := f.Update(s); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			return
		default:
		}
		got, err := os.ReadFile(prefix + statsSuffix)
		if err != nil {
			t.Error(err)
		} else if !valid[string(got)] {
			t.Errorf("read %d: partial file %q", reads, got)
		}
		if t.Failed() {
			<-done // let the writer finish before the deferred Close
			return
		}
	}
}

// An open-model run's history file has the intended-start columns.
func TestOpenCSVIntended(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "open")
	f, err := OpenCSV(prefix, false, true)
	if err != nil {
		t.Fatal(err)
	}
	row := stats.HistoryRow{Time: t0, Name: stats.TotalName,
		CurrentPercentiles: make([]time.Duration, len(stats.Percentiles)),
		CurrentIntended:    make([]time.Duration, len(stats.Percentiles))}
	row.CurrentIntended[len(row.CurrentIntended)-1] = 1500 * time.Millisecond
	if err := f.AppendHistory([]stats.HistoryRow{row}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(prefix + "_stats_history.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\r\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], ",Intended 99.99%,Intended 100%") || !strings.HasSuffix(lines[1], ",1500") {
		t.Errorf("history:\n%s", b)
	}
}
