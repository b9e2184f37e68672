package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/herdload/herd/internal/stats"
)

// Suffixes of the CSV files, Locust's.
const (
	statsSuffix      = "_stats.csv"
	historySuffix    = "_stats_history.csv"
	failuresSuffix   = "_failures.csv"
	exceptionsSuffix = "_exceptions.csv"
)

// CSVFiles keeps Locust's four CSV files up to date during a run (Locust's
// --csv PREFIX): PREFIX_stats.csv, PREFIX_failures.csv and
// PREFIX_exceptions.csv are rewritten whole by [CSVFiles.Update], and
// PREFIX_stats_history.csv grows with [CSVFiles.AppendHistory].
//
// Its methods are safe for concurrent use.
type CSVFiles struct {
	mu          sync.Mutex
	prefix      string
	fullHistory bool
	intended    bool // open model: the history has intended-start columns
	history     *os.File
	historyBuf  *bufio.Writer
	closed      bool
}

// OpenCSV creates (or truncates) the four CSV files named after prefix, which
// may include a directory, and writes their headers at once (the stats file
// also gets an empty total row, as after an Update with no requests). fullHistory is
// Locust's --csv-full-history: the history holds a row per entry and per
// sample rather than only the total; AppendHistory does not filter rows, so
// the caller checks [CSVFiles.FullHistory]. intended (an open-model run)
// adds the intended-start percentile columns to the history.
func OpenCSV(prefix string, fullHistory, intended bool) (*CSVFiles, error) {
	f := &CSVFiles{prefix: prefix, fullHistory: fullHistory, intended: intended}
	empty := &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	if err := f.Update(empty); err != nil {
		return nil, err
	}
	name := prefix + historySuffix
	h, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("report: create %s: %w", name, err)
	}
	f.history, f.historyBuf = h, bufio.NewWriter(h)
	if intended {
		err = WriteIntendedHistoryHeader(f.historyBuf)
	} else {
		err = WriteHistoryHeader(f.historyBuf)
	}
	if err == nil {
		err = f.historyBuf.Flush()
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("report: write %s: %w", name, err)
	}
	return f, nil
}

// FullHistory reports whether the history file should hold a row per entry
// (true) or only the total rows, as given to [OpenCSV].
func (f *CSVFiles) FullHistory() bool { return f.fullHistory }

// Update rewrites PREFIX_stats.csv, PREFIX_failures.csv and
// PREFIX_exceptions.csv from s. Each file is written to a temporary file in
// the same directory then renamed over the old one, so that a reader never
// sees a partial file. It tries every file and returns every error.
func (f *CSVFiles) Update(s *stats.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("report: Update on closed CSVFiles")
	}
	var b bytes.Buffer
	var errs []error
	for _, file := range []struct {
		suffix string
		write  func(io.Writer, *stats.Snapshot) error
	}{
		{statsSuffix, WriteStatsCSV},
		{failuresSuffix, WriteFailuresCSV},
		{exceptionsSuffix, WriteExceptionsCSV},
	} {
		b.Reset()
		_ = file.write(&b, s) // writing to a bytes.Buffer can't fail
		if err := replaceFile(f.prefix+file.suffix, b.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// replaceFile atomically replaces name by data.
func replaceFile(name string, data []byte) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("report: write %s: %w", name, err)
		}
	}()
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		// CreateTemp uses 0600; match what os.Create (and Locust) give.
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// AppendHistory appends rows to PREFIX_stats_history.csv and flushes them.
// The caller has already picked the rows: every entry's with full history,
// the total's only otherwise.
func (f *CSVFiles) AppendHistory(rows []stats.HistoryRow) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := f.prefix + historySuffix
	if f.closed {
		return fmt.Errorf("report: append to %s: file closed", name)
	}
	err := writeHistoryRows(f.historyBuf, rows, f.intended)
	if err == nil {
		err = f.historyBuf.Flush()
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", name, err)
	}
	return nil
}

// Close flushes and closes the history file. The other files are always
// complete on disk. Calling Close again does nothing.
func (f *CSVFiles) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	name := f.prefix + historySuffix
	err := f.historyBuf.Flush()
	if cerr := f.history.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: close %s: %w", name, err)
	}
	return nil
}
