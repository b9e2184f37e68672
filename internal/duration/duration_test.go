package duration

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"300", 300 * time.Second},
		{"0", 0},
		{" 45 ", 45 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{".5", 500 * time.Millisecond},
		{"5.", 5 * time.Second},
		{"+7", 7 * time.Second},
		{"-5", -5 * time.Second},
		{"0.000000001", time.Nanosecond},
		{"90s", 90 * time.Second},
		{"20m", 20 * time.Minute},
		{"3h", 3 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"2m30s", 150 * time.Second},
		{"3h30m10s", 3*time.Hour + 30*time.Minute + 10*time.Second},
		{"250ms", 250 * time.Millisecond},
		{"250us", 250 * time.Microsecond},
		{"250µs", 250 * time.Microsecond}, // U+00B5 micro sign
		{"250μs", 250 * time.Microsecond}, // U+03BC Greek mu
		{"7ns", 7},
		{"1.5h", 90 * time.Minute},
		{"-1m30s", -90 * time.Second},
		{"+30s", 30 * time.Second},
		{"0s", 0},
		{"1h1h", 2 * time.Hour},
		{"2562047h47m16.854775807s", math.MaxInt64},
		{"-2562047h47m16.854775808s", math.MinInt64},
	}
	for _, tt := range tests {
		if got, err := Parse(tt.in); err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		kind error
		msg  string
	}{
		{"", ErrSyntax, "empty duration; use a number of seconds (300) or a duration like 90s, 2m30s or 1h30m"},
		{"   ", ErrSyntax, "empty duration"},
		{"nonsense", ErrSyntax, `"nonsense" is not a duration; use a number of seconds (300) or a duration like 90s, 2m30s or 1h30m (units: h, m, s, ms)`},
		{"2m30", ErrSyntax, `"2m30" is not a duration`},
		{"1d", ErrSyntax, "is not a duration"},
		{"1.2.3", ErrSyntax, "is not a duration"},
		{"1.5.5s", ErrSyntax, "is not a duration"},
		{"1e3", ErrSyntax, "is not a duration"},
		{"NaN", ErrSyntax, "is not a duration"},
		{"inf", ErrSyntax, "is not a duration"},
		{"0x10", ErrSyntax, "is not a duration"},
		{".", ErrSyntax, "is not a duration"},
		{"s", ErrSyntax, "is not a duration"},
		{"-", ErrSyntax, "is not a duration"},
		{"--5", ErrSyntax, "is not a duration"},
		{"+-5s", ErrSyntax, "is not a duration"},
		{"5 s", ErrSyntax, "is not a duration"},
		{"1h 30m", ErrSyntax, "is not a duration"},
		{"1_000", ErrSyntax, "is not a duration"},
		{"9999999999", ErrRange, `"9999999999" is too long a duration (the maximum is about 292 years)`},
		{"99999999999999999999h", ErrRange, "too long"},
		{"-9999999999", ErrRange, "too long"},
		{"2562047h47m16.854775808s", ErrRange, "too long"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) error = %v; want %v containing %q", tt.in, err, tt.kind, tt.msg)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{time.Nanosecond, "1ns"},
		{1500, "1.5µs"},
		{250 * time.Millisecond, "250ms"},
		{1500 * time.Millisecond, "1.5s"},
		{30 * time.Second, "30s"},
		{90 * time.Second, "1m30s"},
		{2 * time.Minute, "2m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h30s"},
		{time.Hour + 500*time.Millisecond, "1h500ms"},
		{10000 * time.Hour, "10000h"},
		{-90 * time.Second, "-1m30s"},
		{math.MaxInt64, "2562047h47m16.854775807s"},
		{math.MinInt64, "-2562047h47m16.854775808s"},
	}
	for _, tt := range tests {
		got := Format(tt.in)
		if got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := Parse(got); err != nil || back != tt.in {
			t.Errorf("Parse(Format(%d)) = %v, %v", int64(tt.in), back, err)
		}
	}
}

// FuzzParse checks that every accepted text survives a round trip through
// Format, that a bare whole number is seconds, and that errors say why.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"300", "1h30m", "90s", "2m30s", "-5", "1.5", "", "nonsense", "9999999999",
		".", "+", "1e3", "250µs", "1h1h", "5.", "-2562047h47m16.854775808s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) || err.Error() == "" {
				t.Errorf("Parse(%q): error %v wraps neither ErrSyntax nor ErrRange", s, err)
			}
			return
		}
		text := Format(d)
		if back, err := Parse(text); err != nil || back != d {
			t.Errorf("Parse(%q) = %v, but Format gives %q, which parses as %v, %v", s, d, text, back, err)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > -1e9 && n < 1e9 && d != time.Duration(n)*time.Second {
			t.Errorf("Parse(%q) = %v, want %d seconds", s, d, n)
		}
	})
}

// FuzzFormat checks that every duration's Format parses back to it and is
// never longer than time.Duration's own String.
func FuzzFormat(f *testing.F) {
	for _, d := range []int64{0, 1, -1, 1e9, 90e9, 3600e9 + 1, math.MaxInt64, math.MinInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		text := Format(d)
		if back, err := Parse(text); err != nil || back != d {
			t.Errorf("Format(%d) = %q, which parses as %v, %v", n, text, back, err)
		}
		if len(text) > len(d.String()) {
			t.Errorf("Format(%d) = %q is longer than %q", n, text, d.String())
		}
	})
}
