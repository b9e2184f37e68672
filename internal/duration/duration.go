// Package duration is herd's one grammar for durations, read the same way by
// every option (-t/--run-time, --stop-timeout, ...), load shape, arrival-rate
// stage, threshold window and grace period, and the web UI's run time:
//
//	90s  1m30s  1h30m  250ms  1.5h  500us   a Go duration (units h, m, s, ms, us or µs, ns)
//	300  1.5  .5                             a bare number of seconds, like Locust's -t
//
// A leading sign is allowed ("-5s", "+30"), surrounding white space is
// ignored. Exponents ("1e3"), days, "inf" and "NaN" are not durations.
// Whoever reads a duration adds its own limits after parsing (no negatives,
// whole seconds, a maximum), with its own message.
package duration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors a [Parse] error wraps, for callers that word their own message.
var (
	// ErrSyntax: the text is not a duration.
	ErrSyntax = errors.New("not a duration")
	// ErrRange: the text is a duration too long for a time.Duration
	// (about 292 years either way).
	ErrRange = errors.New("duration out of range")
)

// Parse reads a duration in herd's grammar (see the package documentation).
// Its error says what is accepted, and wraps [ErrSyntax] or [ErrRange].
func Parse(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimLeft(t, "+-")
	var goText string
	switch {
	case len(t)-len(num) > 1: // "--5", "+-5"
		return 0, &parseError{s, ErrSyntax}
	case isDecimal(num):
		goText = t + "s" // bare seconds
	case validGo(num):
		goText = t
	default:
		return 0, &parseError{s, ErrSyntax}
	}
	// The text is well formed, so time.ParseDuration fails only when the
	// value overflows; it is exact to the nanosecond otherwise.
	d, err := time.ParseDuration(goText)
	if err != nil {
		return 0, &parseError{s, ErrRange}
	}
	return d, nil
}

// Format returns d in the shortest Go form that [Parse] reads back to d:
// time.Duration's String without zero units ("2m", not "2m0s"; "1h30s",
// not "1h0m30s"), "0s" for zero.
func Format(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b []byte
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = -u // also right for math.MinInt64
	}
	if h := u / uint64(time.Hour); h > 0 {
		b = strconv.AppendUint(b, h, 10)
		b = append(b, 'h')
	}
	u %= uint64(time.Hour)
	if m := u / uint64(time.Minute); m > 0 {
		b = strconv.AppendUint(b, m, 10)
		b = append(b, 'm')
	}
	if rest := time.Duration(u % uint64(time.Minute)); rest > 0 {
		b = append(b, rest.String()...) // under a minute: "30s", "1.5s", "250ms", "1µs"
	}
	return string(b)
}

// parseError is a duration that does not parse.
type parseError struct {
	text string // as given
	err  error  // ErrSyntax or ErrRange
}

func (e *parseError) Error() string {
	const accepted = "use a number of seconds (300) or a duration like 90s, 2m30s or 1h30m"
	switch {
	case e.err == ErrRange:
		return fmt.Sprintf("%q is too long a duration (the maximum is about 292 years)", e.text)
	case strings.TrimSpace(e.text) == "":
		return "empty duration; " + accepted
	}
	return fmt.Sprintf("%q is not a duration; %s (units: h, m, s, ms)", e.text, accepted)
}

func (e *parseError) Unwrap() error { return e.err }

// units are the units of a Go duration, longest first so that "ms" is not
// read as "m".
var units = []string{"ns", "us", "µs", "μs", "ms", "h", "m", "s"}

// validGo reports whether s is an unsigned Go duration: one or more
// decimal numbers, each followed by a unit ("1h30m", "1.5s", ".5ms").
func validGo(s string) bool {
	if s == "" {
		return false
	}
	for s != "" {
		n := decimalPrefix(s)
		if n == 0 {
			return false
		}
		s = s[n:]
		i := 0
		for i < len(units) && !strings.HasPrefix(s, units[i]) {
			i++
		}
		if i == len(units) {
			return false
		}
		s = s[len(units[i]):]
	}
	return true
}

// decimalPrefix is the length of the decimal number at the start of s:
// digits with at most one dot and at least one digit ("12", "1.5", ".5",
// "5."), or 0.
func decimalPrefix(s string) int {
	digits, dot, i := 0, false, 0
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			if digits == 0 {
				return 0
			}
			return i
		}
	}
	if digits == 0 {
		return 0
	}
	return i
}

// isDecimal reports whether s is exactly one unsigned decimal number.
func isDecimal(s string) bool { return s != "" && decimalPrefix(s) == len(s) }
