package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// parseInt parses a whole number in decimal.
func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

// parseFloat parses a finite decimal number.
func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%q is not a number (use e.g. 1, 0.5 or 10)", s)
	}
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}

// parseBool accepts true/false, 1/0, yes/no and on/off in any letter case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; use true/false, yes/no, on/off or 1/0", s)
}

// parseLevel accepts Locust's log level names in any letter case.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL", s)
}

// splitList splits every value at commas and white space and drops empty
// items, so "-T a,b -T c" and HERD_TAGS="a, b c" both work. It returns nil
// for an empty list.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, item := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			if item = unquote(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// wholeList keeps each value whole, only splitting lines (an environment
// variable carries several values one per line) and dropping blank ones.
func wholeList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// unquote removes one pair of matching single or double quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
