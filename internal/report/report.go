// Package report renders stats snapshots: the console tables printed in
// headless mode and at the end of a run, Locust-compatible CSV files, and a
// JSON document.
//
// Every renderer is a pure function of a [stats.Snapshot] (and, for the
// history, of [stats.HistoryRow] values) writing to an [io.Writer]; only
// [CSVFiles] touches the file system. Durations stay [time.Duration] until
// they are rendered, in milliseconds.
//
// The CSV files have Locust's names and columns and are written as Locust
// writes them (Python's csv module, "excel" dialect): a field is quoted only
// when it holds a comma, a double quote, CR or LF, a double quote is doubled,
// and records end with CRLF (a newline inside a quoted field is kept as is).
package report

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PercentileLabel renders a quantile in [0, 1] as a column label the way
// Locust's get_readable_percentiles does: 0.5 → "50%", 0.999 → "99.9%",
// 0.9999 → "99.99%", 1 → "100%".
func PercentileLabel(q float64) string {
	p := q * 100
	if p == math.Trunc(p) && !math.IsInf(p, 0) {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	// Python's round(p, 6), printed with str(): a float always shows a
	// fractional part ("29.0" for 0.29, whose product is 28.999999999999996).
	r := math.Round(p*1e6) / 1e6
	if r == math.Trunc(r) {
		return strconv.FormatFloat(r, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + "%"
}

// micros rounds d to whole microseconds, herd's resolution.
func micros(d time.Duration) int64 {
	return int64(d.Round(time.Microsecond) / time.Microsecond)
}

// csvMs renders d in milliseconds with up to three decimals, trailing zeros
// trimmed: "12", "12.5", "0.042". The conversion is exact (integer
// arithmetic on microseconds).
func csvMs(d time.Duration) string {
	us := micros(d)
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := sign + strconv.FormatInt(us/1000, 10)
	if frac := us % 1000; frac != 0 {
		f := strconv.FormatInt(frac+1000, 10)[1:] // zero-padded to 3 digits
		s += "." + strings.TrimRight(f, "0")
	}
	return s
}

// jsonMs is d in milliseconds with microsecond precision.
func jsonMs(d time.Duration) float64 {
	return float64(micros(d)) / 1000
}

// consoleMs renders d in milliseconds for the console: an integer from
// 100 ms, one decimal from 10 ms, two decimals below, so that sub-millisecond
// latencies stay visible.
func consoleMs(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if s := strconv.FormatFloat(ms, 'f', 2, 64); belowAbs(s, 10) {
		return s
	}
	if s := strconv.FormatFloat(ms, 'f', 1, 64); belowAbs(s, 100) {
		return s
	}
	return strconv.FormatFloat(ms, 'f', 0, 64)
}

// belowAbs reports whether the decimal s, as printed, is below limit in
// absolute value (so that 9.996 is printed "10.0", not "10.00").
func belowAbs(s string, limit float64) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(v) < limit
}

// finite replaces NaN and infinities by 0: rates computed over an empty
// window must not break JSON or the tables.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// plain renders v as a plain decimal (no exponent), NaN and infinities as 0.
func plain(v float64) string {
	return strconv.FormatFloat(finite(v), 'f', -1, 64)
}

// printable makes s safe for one table cell: invalid UTF-8 becomes U+FFFD and
// control characters (newlines, tabs, escapes) are shown escaped, as in Go
// source, so that a name can't break or recolour a console table.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u0085'
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wideRanges are the blocks whose characters take two terminal columns
// (East Asian Wide and Fullwidth, and emoji): an approximation of Unicode's
// EastAsianWidth that covers the scripts and symbols seen in practice.
var wideRanges = [][2]rune{
	{0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x2E80, 0x303E},
	{0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
	{0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
	{0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
	{0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
}

// runeWidth is the number of terminal columns r takes: 0 for combining marks
// and invisible format characters, 2 for wide characters, 1 otherwise.
func runeWidth(r rune) int {
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	if r >= wideRanges[0][0] {
		for _, w := range wideRanges {
			if r >= w[0] && r <= w[1] {
				return 2
			}
		}
	}
	return 1
}

// width is the number of terminal columns s takes.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// truncate cuts s to at most n columns, ending with "…" when cut.
func truncate(s string, n int) string {
	if width(s) <= n {
		return s
	}
	w := 0
	for i, r := range s {
		if w+runeWidth(r) > n-1 {
			return s[:i] + "…"
		}
		w += runeWidth(r)
	}
	return s
}

// pad left-aligns s in n columns (fmt pads by runes, not columns).
func pad(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
