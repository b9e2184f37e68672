package report

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// Column headers, copied from Locust 2.12.1 (locust/stats.py).
var (
	statsColumns = append([]string{
		"Type", "Name", "Request Count", "Failure Count",
		"Median Response Time", "Average Response Time",
		"Min Response Time", "Max Response Time",
		"Average Content Size", "Requests/s", "Failures/s",
	}, percentileLabels()...)

	historyColumns = append(append([]string{
		"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
	}, percentileLabels()...),
		"Total Request Count", "Total Failure Count",
		"Total Median Response Time", "Total Average Response Time",
		"Total Min Response Time", "Total Max Response Time",
		"Total Average Content Size",
	)

	// intendedColumns follow statsColumns in open-model runs.
	intendedColumns = func() []string {
		cols := []string{"Intended Median Response Time", "Intended Average Response Time",
			"Intended Min Response Time", "Intended Max Response Time"}
		for _, l := range percentileLabels() {
			cols = append(cols, "Intended "+l)
		}
		return cols
	}()

	// intendedHistoryColumns follow historyColumns in open-model runs.
	intendedHistoryColumns = func() []string {
		var cols []string
		for _, l := range percentileLabels() {
			cols = append(cols, "Intended "+l)
		}
		return cols
	}()

	failuresColumns   = []string{"Method", "Name", "Error", "Occurrences"}
	exceptionsColumns = []string{"Count", "Message", "Traceback", "Nodes"}
)

func percentileLabels() []string {
	labels := make([]string, len(stats.Percentiles))
	for i, q := range stats.Percentiles {
		labels[i] = PercentileLabel(q)
	}
	return labels
}

// appendRecord appends one CSV record, quoted as Python's csv.writer does
// with QUOTE_MINIMAL, and its CRLF terminator.
func appendRecord(buf []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		// Python quotes a lone empty field, so that the line isn't blank.
		if !strings.ContainsAny(f, ",\"\r\n") && (f != "" || len(fields) > 1) {
			buf = append(buf, f...)
			continue
		}
		buf = append(buf, '"')
		buf = append(buf, strings.ReplaceAll(f, `"`, `""`)...)
		buf = append(buf, '"')
	}
	return append(buf, '\r', '\n')
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// appendPercentiles appends ps in milliseconds, one cell per element of
// [stats.Percentiles], or "N/A" cells when ok is false (as Locust does for
// entries without requests) or a value is missing.
func appendPercentiles(row []string, ps []time.Duration, ok bool) []string {
	for i := range stats.Percentiles {
		if ok && i < len(ps) {
			row = append(row, csvMs(ps[i]))
		} else {
			row = append(row, "N/A")
		}
	}
	return row
}

// write writes buf, reporting the first error.
func write(w io.Writer, buf []byte) error {
	_, err := w.Write(buf)
	return err
}

// Every writer here passes its text cells (types, names, messages,
// tracebacks, node ids) through csvText, which neutralises spreadsheet
// formulas and replaces control characters; number cells are written as
// they are.

// WriteStatsCSV writes the contents of Locust's PREFIX_stats.csv: the header,
// one row per entry, then the total row (Type "", Name "Aggregated").
// Response times are milliseconds with up to three decimals ("12", "12.5",
// "0.042"); Average Content Size, Requests/s and Failures/s are whole-run
// plain decimals; percentiles are "N/A" for entries without requests.
//
// In an open-model (arrival-rate) run, columns named "Intended …" follow
// Locust's: the same response-time figures measured from each request's
// intended start ("N/A" for entries without such requests).
func WriteStatsCSV(w io.Writer, s *stats.Snapshot) error {
	open := s.Total.Intended != nil
	cols := statsColumns
	if open {
		cols = append(slices.Clip(cols), intendedColumns...)
	}
	buf := appendRecord(nil, cols...)
	row := make([]string, 0, len(cols))
	add := func(e *stats.Entry) {
		row = append(row[:0],
			csvText(e.Method), csvText(e.Name), u64(e.Requests), u64(e.Failures),
			csvMs(e.Median), csvMs(e.Mean), csvMs(e.Min), csvMs(e.Max),
			plain(e.AvgSize()), plain(e.RPS), plain(e.FailPerSec))
		row = appendPercentiles(row, e.Percentiles, e.Requests > 0)
		if open {
			if t := e.Intended; t != nil {
				row = append(row, csvMs(t.Median), csvMs(t.Mean), csvMs(t.Min), csvMs(t.Max))
				row = appendPercentiles(row, t.Percentiles, true)
			} else {
				for range intendedColumns {
					row = append(row, "N/A")
				}
			}
		}
		buf = appendRecord(buf, row...)
	}
	for i := range s.Entries {
		add(&s.Entries[i])
	}
	add(&s.Total)
	return write(w, buf)
}

// WriteFailuresCSV writes the contents of Locust's PREFIX_failures.csv
// (Method, Name, Error, Occurrences), one row per kind of failure.
func WriteFailuresCSV(w io.Writer, s *stats.Snapshot) error {
	buf := appendRecord(nil, failuresColumns...)
	for _, f := range s.Failures {
		buf = appendRecord(buf, csvText(f.Method), csvText(f.Name), csvText(f.Error), u64(f.Occurrences))
	}
	return write(w, buf)
}

// WriteExceptionsCSV writes the contents of Locust's PREFIX_exceptions.csv
// (Count, Message, Traceback, Nodes): the errors and panics raised by user
// code, the nodes joined by ", ".
func WriteExceptionsCSV(w io.Writer, s *stats.Snapshot) error {
	buf := appendRecord(nil, exceptionsColumns...)
	for _, e := range s.Errors {
		buf = appendRecord(buf, u64(e.Count), csvText(e.Message), csvText(e.Trace), csvText(strings.Join(e.Nodes, ", ")))
	}
	return write(w, buf)
}

// WriteHistoryHeader writes the header line of Locust's
// PREFIX_stats_history.csv.
func WriteHistoryHeader(w io.Writer) error {
	return write(w, appendRecord(nil, historyColumns...))
}

// WriteIntendedHistoryHeader is [WriteHistoryHeader] for an open-model run:
// Locust's columns, then "Intended 50%" … "Intended 100%", the current
// window's percentiles from the intended start. Rows go with
// [WriteIntendedHistoryRows].
func WriteIntendedHistoryHeader(w io.Writer) error {
	return write(w, appendRecord(nil, append(slices.Clip(historyColumns), intendedHistoryColumns...)...))
}

// WriteHistoryRows writes rows of PREFIX_stats_history.csv, without header:
// Timestamp in Unix seconds, Requests/s and Failures/s with six decimals
// (Locust's f"{x:2f}"), the current-window percentiles in milliseconds ("N/A"
// when the row has none), then the whole-run totals.
func WriteHistoryRows(w io.Writer, rows []stats.HistoryRow) error {
	return writeHistoryRows(w, rows, false)
}

// WriteIntendedHistoryRows writes rows under [WriteIntendedHistoryHeader]'s
// columns ("N/A" for the intended ones when a row has none).
func WriteIntendedHistoryRows(w io.Writer, rows []stats.HistoryRow) error {
	return writeHistoryRows(w, rows, true)
}

func writeHistoryRows(w io.Writer, rows []stats.HistoryRow, intended bool) error {
	var buf []byte
	row := make([]string, 0, len(historyColumns)+len(intendedHistoryColumns))
	for i := range rows {
		r := &rows[i]
		row = append(row[:0],
			strconv.FormatInt(r.Time.Unix(), 10), strconv.Itoa(r.Users),
			csvText(r.Method), csvText(r.Name),
			strconv.FormatFloat(finite(r.CurrentRPS), 'f', 6, 64),
			strconv.FormatFloat(finite(r.CurrentFailPerSec), 'f', 6, 64))
		row = appendPercentiles(row, r.CurrentPercentiles, r.CurrentPercentiles != nil)
		row = append(row, u64(r.Requests), u64(r.Failures),
			csvMs(r.Median), csvMs(r.Mean), csvMs(r.Min), csvMs(r.Max),
			plain(r.AvgSize))
		if intended {
			row = appendPercentiles(row, r.CurrentIntended, r.CurrentIntended != nil)
		}
		buf = appendRecord(buf, row...)
	}
	if len(buf) == 0 {
		return nil
	}
	return write(w, buf)
}
