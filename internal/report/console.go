package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// Column widths of the console tables. The Name column adapts to the longest
// name, within [minNameWidth, maxNameWidth]; the Type column is Locust's 8
// characters, wider for longer custom request kinds; every other width is
// Locust's.
const (
	typeWidth    = 8
	maxTypeWidth = 16
	minNameWidth = 24
	maxNameWidth = 80
	// statsFixedWidth is the width of a stats table line minus its Type and
	// Name columns: 9 "|" and the columns # reqs (7), # fails (13), Avg,
	// Min, Max, Med (7 each), req/s (8) and failures/s (11).
	statsFixedWidth = 9 + 7 + 13 + 4*7 + 8 + 11
	// countWidth is the "# occurrences" column of the error reports.
	countWidth = 18
	// traceLines is how many lines of a user-code error's trace are shown.
	traceLines = 10
)

// layout is the width of the Type and Name columns shared by every table of a
// snapshot, so that tables printed together line up.
type layout struct {
	typeW, nameW int
}

func layoutOf(s *stats.Snapshot) layout {
	l := layout{typeW: typeWidth, nameW: minNameWidth}
	fit := func(e *stats.Entry) {
		l.typeW = max(l.typeW, min(width(printable(e.Method)), maxTypeWidth))
		l.nameW = max(l.nameW, min(width(printable(e.Name)), maxNameWidth))
	}
	for i := range s.Entries {
		fit(&s.Entries[i])
	}
	fit(&s.Total)
	return l
}

// method and name render an entry's Type and Name cells, padded.
func (l layout) method(e *stats.Entry) string { return l.typeCell(printable(e.Method)) }
func (l layout) name(e *stats.Entry) string   { return l.nameCell(printable(e.Name)) }
func (l layout) typeCell(s string) string     { return pad(truncate(s, l.typeW), l.typeW) }
func (l layout) nameCell(s string) string     { return pad(truncate(s, l.nameW), l.nameW) }

// statsWidth is the full width of a stats table line.
func (l layout) statsWidth() int { return l.typeW + l.nameW + statsFixedWidth }

func (l layout) statsSeparator() string {
	return strings.Join([]string{
		dashes(l.typeW), dashes(l.nameW), dashes(7), dashes(13),
		dashes(7), dashes(7), dashes(7), dashes(7), dashes(8), dashes(11),
	}, "|")
}

func dashes(n int) string { return strings.Repeat("-", n) }

// WriteStats writes the request statistics table, as Locust's
// get_stats_summary: a header, one row per entry, then the total row
// ("Aggregated"). Response times are in milliseconds: integers from 100 ms,
// one decimal from 10 ms, two decimals below. When current is true the req/s and
// failures/s columns cover about the last 10 seconds, otherwise the whole
// run. Write errors are ignored, as for any console output.
func WriteStats(w io.Writer, s *stats.Snapshot, current bool) {
	var b bytes.Buffer
	writeStats(&b, s, layoutOf(s), current)
	if current {
		writeOpenModel(&b, s)
	}
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}

func writeStats(b *bytes.Buffer, s *stats.Snapshot, l layout, current bool) {
	fmt.Fprintf(b, "%s %s %7s %12s |%7s %7s %7s%7s | %7s %11s\n",
		l.typeCell("Type"), l.nameCell("Name"), "# reqs", "# fails",
		"Avg", "Min", "Max", "Med", "req/s", "failures/s")
	sep := l.statsSeparator()
	b.WriteString(sep + "\n")
	row := func(e *stats.Entry) {
		rps, fps := e.RPS, e.FailPerSec
		if current {
			rps, fps = e.CurrentRPS, e.CurrentFailPerSec
		}
		fails := fmt.Sprintf("%d(%.2f%%)", e.Failures, finite(e.FailRatio())*100)
		fmt.Fprintf(b, "%s %s %7d %12s |%7s %7s %7s%7s | %7.2f %11.2f\n",
			l.method(e), l.name(e), e.Requests, fails,
			consoleMs(e.Mean), consoleMs(e.Min), consoleMs(e.Max), consoleMs(e.Median),
			finite(rps), finite(fps))
	}
	for i := range s.Entries {
		row(&s.Entries[i])
	}
	b.WriteString(sep + "\n")
	row(&s.Total)
}

// WritePercentiles writes the "Response time percentiles (approximated)"
// table, as Locust's get_percentile_stats_summary: one column per element of
// [stats.Percentiles], in milliseconds as in [WriteStats], and the request
// count. Entries
// without requests are left out.
func WritePercentiles(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	writePercentiles(&b, s, layoutOf(s))
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}

func writePercentiles(b *bytes.Buffer, s *stats.Snapshot, l layout) {
	writePercentileTable(b, s, l, "Response time percentiles (approximated)",
		func(e *stats.Entry) []time.Duration { return e.Percentiles })
}

// writeIntendedPercentiles writes an open-model run's percentiles measured
// from each request's intended start; nothing for other runs.
func writeIntendedPercentiles(b *bytes.Buffer, s *stats.Snapshot, l layout) {
	if s.Total.Intended == nil {
		return
	}
	b.WriteByte('\n')
	writePercentileTable(b, s, l, "Response time percentiles from the intended start (includes late starts)",
		func(e *stats.Entry) []time.Duration {
			if e.Intended == nil {
				return nil
			}
			return e.Intended.Percentiles
		})
}

// writeOpenModel writes an open-model run's live line: iterations, and the
// total's percentiles from the intended start beside its service time.
func writeOpenModel(b *bytes.Buffer, s *stats.Snapshot) {
	t := s.Total.Intended
	if t == nil && s.Iterations == 0 && s.Dropped == 0 {
		return
	}
	fmt.Fprintf(b, "Open model: %d iterations, %d dropped", s.Iterations, s.Dropped)
	if t != nil && len(t.Percentiles) > 7 && len(s.Total.Percentiles) > 7 {
		fmt.Fprintf(b, "; from the intended start p50 %s p95 %s p99 %s ms (service p95 %s ms)",
			consoleMs(t.Percentiles[0]), consoleMs(t.Percentiles[5]), consoleMs(t.Percentiles[7]),
			consoleMs(s.Total.Percentiles[5]))
	}
	b.WriteByte('\n')
}

// writeIterations writes an open-model run's iteration counts.
func writeIterations(b *bytes.Buffer, s *stats.Snapshot) {
	if s.Iterations == 0 && s.Dropped == 0 {
		return
	}
	fmt.Fprintf(b, "\nIterations: %d started, %d dropped", s.Iterations, s.Dropped)
	if due := s.Iterations + s.Dropped; s.Dropped > 0 {
		fmt.Fprintf(b, " (%.1f%% of those due: no user of the pool was free; raise --max-users)",
			100*float64(s.Dropped)/float64(due))
	}
	b.WriteByte('\n')
}

// writeNamesOverflow warns that the run had more distinct request names
// than the statistics kept apart; nothing when it had not.
func writeNamesOverflow(b *bytes.Buffer, s *stats.Snapshot) {
	if w := NamesOverflowWarning(s); w != "" {
		b.WriteString("\nWarning: " + w + "\n")
	}
}

// NamesOverflowWarning is the warning for a run whose distinct request
// names went past --max-names (s.NamesOverflowed), "" otherwise.
func NamesOverflowWarning(s *stats.Snapshot) string {
	if !s.NamesOverflowed {
		return ""
	}
	limit := "the --max-names cap"
	if s.MaxNames > 0 {
		limit = fmt.Sprintf("--max-names (%d)", s.MaxNames)
	}
	var n uint64
	if e := overflowEntry(s); e != nil {
		n = e.Requests
	}
	return fmt.Sprintf("more distinct request names than %s: the %d %s of the names past it are counted in one row, %q. "+
		"Give requests whose URL holds an id one name (herd.Name(\"/items/{id}\")), or raise --max-names.",
		limit, n, plural(int(min(n, 2)), "request", "requests"), stats.OverflowName)
}

func writePercentileTable(b *bytes.Buffer, s *stats.Snapshot, l layout, title string, of func(*stats.Entry) []time.Duration) {
	b.WriteString(title + "\n")
	// Locust's layout: the first value column is 8 wide, the others 6.
	line := func(typ, name string, cells []string) {
		fmt.Fprintf(b, "%s %s %8s", typ, name, cells[0])
		for _, c := range cells[1:] {
			fmt.Fprintf(b, " %6s", c)
		}
		b.WriteByte('\n')
	}
	header := make([]string, 0, len(stats.Percentiles)+1)
	for _, q := range stats.Percentiles {
		header = append(header, PercentileLabel(q))
	}
	line(l.typeCell("Type"), l.nameCell("Name"), append(header, "# reqs"))

	sep := dashes(l.typeW) + "|" + dashes(l.nameW) + "|" + dashes(8) +
		strings.Repeat("|"+dashes(6), len(stats.Percentiles))
	b.WriteString(sep + "\n")
	row := func(e *stats.Entry) {
		if e.Requests == 0 {
			return
		}
		ps := of(e)
		if ps == nil {
			return
		}
		cells := make([]string, 0, len(stats.Percentiles)+1)
		for i := range stats.Percentiles {
			if i < len(ps) {
				cells = append(cells, consoleMs(ps[i]))
			} else {
				cells = append(cells, "N/A")
			}
		}
		line(l.method(e), l.name(e), append(cells, strconv.FormatUint(e.Requests, 10)))
	}
	for i := range s.Entries {
		row(&s.Entries[i])
	}
	b.WriteString(sep + "\n")
	row(&s.Total)
}

// WriteFailures writes the failed requests as Locust's "Error report": the
// number of occurrences and "METHOD name: error", most frequent first. It
// writes nothing when there are no failures.
func WriteFailures(w io.Writer, s *stats.Snapshot) {
	if len(s.Failures) == 0 {
		return
	}
	var b bytes.Buffer
	writeFailures(&b, s, layoutOf(s))
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}

func writeFailures(b *bytes.Buffer, s *stats.Snapshot, l layout) {
	sep := reportSeparator(l)
	b.WriteString("Error report\n")
	fmt.Fprintf(b, "%-*s %s\n", countWidth, "# occurrences", "Error")
	b.WriteString(sep + "\n")
	for _, f := range s.Failures {
		what := f.Name
		if f.Method != "" {
			what = f.Method + " " + f.Name
		}
		fmt.Fprintf(b, "%-*d %s\n", countWidth, f.Occurrences, printable(what+": "+f.Error))
	}
	b.WriteString(sep + "\n")
}

// reportSeparator spans the width of the stats table, as Locust's.
func reportSeparator(l layout) string {
	return dashes(countWidth) + "|" + dashes(l.statsWidth()-countWidth-1)
}

// WriteErrors writes the errors and panics raised by user code, most
// frequent first: the count, the message, the nodes that saw it (distributed
// runs), then the first lines of the trace, indented. It writes nothing when
// there are none.
func WriteErrors(w io.Writer, s *stats.Snapshot) {
	if len(s.Errors) == 0 {
		return
	}
	var b bytes.Buffer
	writeErrors(&b, s, layoutOf(s))
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}

func writeErrors(b *bytes.Buffer, s *stats.Snapshot, l layout) {
	sep := reportSeparator(l)
	pad := strings.Repeat(" ", countWidth+1)
	b.WriteString("Errors in user code\n")
	fmt.Fprintf(b, "%-*s %s\n", countWidth, "# occurrences", "Error")
	b.WriteString(sep + "\n")
	for _, e := range s.Errors {
		msg := lines(e.Message)
		if len(msg) == 0 {
			msg = []string{""}
		}
		fmt.Fprintf(b, "%-*d %s\n", countWidth, e.Count, msg[0])
		for _, m := range msg[1:] {
			b.WriteString(pad + m + "\n")
		}
		if len(e.Nodes) > 0 {
			b.WriteString(pad + printable("on "+strings.Join(e.Nodes, ", ")) + "\n")
		}
		trace := lines(e.Trace)
		shown := trace[:min(len(trace), traceLines)]
		for _, t := range shown {
			b.WriteString(pad + "    " + t + "\n")
		}
		if more := len(trace) - len(shown); more > 0 {
			fmt.Fprintf(b, "%s    … %d more %s\n", pad, more, plural(more, "line", "lines"))
		}
	}
	b.WriteString(sep + "\n")
}

// lines splits s into printable lines, without trailing blank ones. Tabs
// (which Go traces use to indent file names) become four spaces.
func lines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\t", "    ")
	s = strings.TrimRight(s, " \n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	for i, l := range out {
		out[i] = strings.TrimRight(printable(l), " ")
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// WriteSummary writes the end-of-run summary: a one-line header with the run
// duration and user count, then the stats table (whole-run rates), the
// percentiles, the failures and the user-code errors (each only when there
// are some), separated by blank lines.
func WriteSummary(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	l := layoutOf(s)
	fmt.Fprintf(&b, "Summary: ran for %s with %d %s\n\n",
		s.Duration.Round(time.Millisecond), s.Users, plural(s.Users, "user", "users"))
	writeStats(&b, s, l, false)
	b.WriteByte('\n')
	writePercentiles(&b, s, l)
	writeIntendedPercentiles(&b, s, l)
	writeIterations(&b, s)
	writeNamesOverflow(&b, s)
	if len(s.Failures) > 0 {
		b.WriteByte('\n')
		writeFailures(&b, s, l)
	}
	if len(s.Errors) > 0 {
		b.WriteByte('\n')
		writeErrors(&b, s, l)
	}
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}
