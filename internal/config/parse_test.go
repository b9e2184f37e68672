package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestParseBool(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"true", "TRUE", "True", "1", "yes", "YES", "on", "On", " true "} {
		if got, err := parseBool(in); !got || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want true", in, got, err)
		}
	}
	for _, in := range []string{"false", "FALSE", "0", "no", "No", "off", "OFF"} {
		if got, err := parseBool(in); got || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want false", in, got, err)
		}
	}
	for _, in := range []string{"", "maybe", "2", "y", "t", "enabled"} {
		if _, err := parseBool(in); err == nil || !strings.Contains(err.Error(), "use true/false, yes/no, on/off or 1/0") {
			t.Errorf("parseBool(%q) error = %v; want an explanation", in, err)
		}
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := map[string]slog.Level{
		"DEBUG": slog.LevelDebug, "debug": slog.LevelDebug, "Info": slog.LevelInfo,
		"WARNING": slog.LevelWarn, "warn": slog.LevelWarn, "ERROR": slog.LevelError, "critical": slog.LevelError,
	}
	for in, want := range tests {
		if got, err := parseLevel(in); got != want || err != nil {
			t.Errorf("parseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseLevel("trace"); err == nil || !strings.Contains(err.Error(), "DEBUG, INFO, WARNING, ERROR or CRITICAL") {
		t.Errorf("parseLevel(trace) error = %v", err)
	}
}

func TestParseNumbers(t *testing.T) {
	t.Parallel()
	if n, err := parseInt(" 42 "); n != 42 || err != nil {
		t.Errorf("parseInt = %d, %v", n, err)
	}
	for in, want := range map[string]string{
		"abc": `"abc" is not a whole number`, "1.5": "not a whole number", "": "not a whole number",
		"99999999999999999999": "out of range",
	} {
		if _, err := parseInt(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseInt(%q) error = %v; want %q", in, err, want)
		}
	}
	if f, err := parseFloat("0.25"); f != 0.25 || err != nil {
		t.Errorf("parseFloat = %v, %v", f, err)
	}
	for in, want := range map[string]string{
		"fast": "not a number", "NaN": "not a finite number", "inf": "not a finite number", "1e999": "not a finite number",
	} {
		if _, err := parseFloat(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFloat(%q) error = %v; want %q", in, err, want)
		}
	}
}

func TestSplitList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{""}, nil},
		{[]string{" , ,"}, nil},
		{[]string{"a"}, []string{"a"}},
		{[]string{"a,b", "c"}, []string{"a", "b", "c"}},
		{[]string{"a b\tc"}, []string{"a", "b", "c"}},
		{[]string{"a, b ,c"}, []string{"a", "b", "c"}},
		{[]string{`"a"`, "'b'"}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		if got := splitList(tt.in); !slices.Equal(got, tt.want) || (tt.want == nil && got != nil) {
			t.Errorf("splitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
