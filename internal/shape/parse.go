package shape

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// Limits that keep every parsed value finite and every derived time
// representable.
const (
	maxTotal  = 10000 * time.Hour // longest shape or rate profile
	maxUsers  = 1_000_000_000     // largest user count
	maxLevels = 10_000            // most levels of a steps shape
	maxRate   = 1e9               // highest rate, per second
)

// isDecimal reports whether s is a plain non-negative decimal number (a
// user count or a rate; durations are read by internal/duration):
// digits with at most one dot and at least one digit. It rejects signs,
// exponents, hex, "inf" and "nan", which strconv.ParseFloat would accept.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// parseDuration reads a duration in herd's grammar (internal/duration): a
// Go duration ("1m30s") or bare seconds ("30", "1.5"), not negative and at
// most maxTotal.
func parseDuration(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("bad duration %q", s)
	case d < 0:
		return 0, fmt.Errorf("negative duration %q", s)
	case d > maxTotal:
		return 0, fmt.Errorf("duration %q is longer than %s", s, duration.Format(maxTotal))
	}
	return d, nil
}

// parseUsers reads a non-negative user count.
func parseUsers(s string) (int, error) {
	if !isDecimal(s) || strings.Contains(s, ".") {
		return 0, fmt.Errorf("bad user count %q", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxUsers {
		return 0, fmt.Errorf("user count %q is above %d", s, maxUsers)
	}
	return n, nil
}

// parseNumber reads a non-negative decimal number.
func parseNumber(what, s string) (float64, error) {
	if !isDecimal(s) {
		return 0, fmt.Errorf("bad %s %q", what, s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q", what, s)
	}
	return f, nil
}

// formatNumber prints f in the shortest plain decimal form that parses back
// to the same float64.
func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// options parses a comma-separated list of key=value pairs, each key one of
// known and given at most once.
func options(body string, known []string) (map[string]string, error) {
	opts := map[string]string{}
	if strings.TrimSpace(body) == "" {
		return opts, nil
	}
	for part := range strings.SplitSeq(body, ",") {
		part = strings.TrimSpace(part)
		key, value, ok := strings.Cut(part, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, fmt.Errorf("%q is not key=value", part)
		case !contains(known, key):
			return nil, fmt.Errorf("unknown option %q (want %s)", key, list(known))
		case opts[key] != "":
			return nil, fmt.Errorf("option %q given twice", key)
		case value == "":
			return nil, fmt.Errorf("option %q has no value", key)
		}
		opts[key] = value
	}
	return opts, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list joins words as "a, b or c".
func list(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// addTotal adds d to a running total, failing past maxTotal.
func addTotal(total, d time.Duration) (time.Duration, error) {
	if d > maxTotal-total {
		return 0, fmt.Errorf("lasts longer than %s", duration.Format(maxTotal))
	}
	return total + d, nil
}
