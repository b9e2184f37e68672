package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/herdload/herd/internal/stats"
)

// WriteJSONL writes rows as JSON lines: one compact object per row, in the
// "row" shape of [WriteJSON]'s history (docs/metrics.md), with <, > and &
// left as they are.
func WriteJSONL(w io.Writer, rows []stats.HistoryRow) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range rows {
		if err := enc.Encode(rowJSON(&rows[i])); err != nil {
			return err
		}
	}
	return nil
}

// JSONLFile streams a run's per-second history to a file as it goes
// (--jsonl): each [JSONLFile.Append] writes one second's rows (every
// endpoint's, then the total's) and flushes them, so the file can be
// followed (tail -f) or read while the run goes on.
//
// Its methods are safe for concurrent use.
type JSONLFile struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	buf    *bufio.Writer
	closed bool
}

// OpenJSONL creates (or truncates) the file at path.
func OpenJSONL(path string) (*JSONLFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: create %s: %w", path, err)
	}
	return &JSONLFile{path: path, f: f, buf: bufio.NewWriter(f)}, nil
}

// Append writes rows and flushes them to the file.
func (j *JSONLFile) Append(rows []stats.HistoryRow) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("report: append to %s: file closed", j.path)
	}
	err := WriteJSONL(j.buf, rows)
	if err == nil {
		err = j.buf.Flush()
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", j.path, err)
	}
	return nil
}

// Close flushes and closes the file. Calling it again does nothing.
func (j *JSONLFile) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.buf.Flush()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: close %s: %w", j.path, err)
	}
	return nil
}
