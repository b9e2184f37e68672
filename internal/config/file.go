package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// confEntry is one key = value setting read from a config file.
type confEntry struct {
	key  string   // as written
	vals []string // one value, or the items of a list
	line int      // 1-based; 0 when unknown
}

// confError is a syntax problem in a config file.
type confError struct {
	line int // 1-based; 0 when unknown
	msg  string
}

// fileValue is the raw value of an option from the config file.
type fileValue struct {
	vals   []string
	source string // "config file herd.conf:3"
	line   int
}

// readConfigFile reads and decodes the config file at path, which was named
// by pathSource ("flag --config" or "environment HERD_CONFIG"). It returns
// the raw values by option name, every problem found, and notes on the
// Locust-only keys it ignored.
func readConfigFile(path, pathSource string, table []option) (map[string]fileValue, Problems, []string) {
	data, err := readLimited(path, maxConfigSize)
	if err != nil {
		msg := fmt.Sprintf("cannot read config file: %v", err)
		if errors.Is(err, fs.ErrNotExist) {
			msg = fmt.Sprintf("config file %q does not exist", path)
		}
		return nil, Problems{{Source: pathSource, Field: "config", Message: msg}}, nil
	}

	var entries []confEntry
	var errs []confError
	if strings.EqualFold(filepath.Ext(path), ".toml") {
		entries, errs = parseTOMLConf(data)
	} else {
		entries, errs = parseConf(data)
	}

	where := func(line int) string {
		if line > 0 {
			return fmt.Sprintf("config file %s:%d", path, line)
		}
		return "config file " + path
	}
	var ps Problems
	for _, e := range errs {
		ps = append(ps, Problem{Source: where(e.line), Message: e.msg})
	}
	vals := make(map[string]fileValue, len(entries))
	var notes []string
	for _, e := range entries {
		o := lookupIn(table, e.key)
		switch {
		case o == nil && ignoredKeys[normalKey(e.key)] != "":
			notes = append(notes, fmt.Sprintf("%s: ignoring Locust's key %q: %s", where(e.line), e.key, ignoredKeys[normalKey(e.key)]))
		case o == nil:
			ps = append(ps, Problem{Source: where(e.line), Message: unknownKey(e.key)})
		case o.name == "config":
			ps = append(ps, Problem{Source: where(e.line), Message: fmt.Sprintf(
				"key %q is not allowed in a config file; name the config file with --config or HERD_CONFIG", e.key)})
		default:
			if prev, dup := vals[o.name]; dup {
				ps = append(ps, Problem{Source: where(e.line), Message: fmt.Sprintf(
					"key %q sets %s again (already set at line %d); set each option once", e.key, o.name, prev.line)})
				continue
			}
			vals[o.name] = fileValue{vals: e.vals, source: where(e.line), line: e.line}
		}
	}
	return vals, ps, notes
}

// maxConfigSize bounds how much of a config file is read, so that naming
// something like /dev/zero fails instead of exhausting memory.
const maxConfigSize = 1 << 20

// readLimited reads the file at path, failing if it is larger than limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes; is it really a config file?", path, limit)
	}
	return data, nil
}

// locustOnly lists Locust options herd does not have, for a clearer message
// when a Locust config file is reused.
var locustOnly = []string{
	"show-task-ratio-json", "equal-weights", "headful", "hatch-rate", "web-login", "otel", "profile",
}

// ignoredKeys are the Locust-only config-file keys herd skips, as they
// would change nothing in a herd run, with the reason it says so.
var ignoredKeys = map[string]string{
	"locustfile":     "the test is the program herd runs",
	"skip-log-setup": "herd configures only its own logger",
	"modern-ui":      "herd has one web UI",
	"legacy-ui":      "herd has one web UI",
}

// normalKey is a config-file key as an option name.
func normalKey(key string) string { return strings.ToLower(strings.ReplaceAll(key, "_", "-")) }

// unknownKey explains an unknown config-file key, suggesting a close match.
func unknownKey(key string) string {
	k := strings.ToLower(strings.ReplaceAll(key, "_", "-"))
	if slices.Contains(locustOnly, k) {
		return fmt.Sprintf("unknown key %q: a Locust option that herd does not support", key)
	}
	best, bestDist := "", 3
	for _, o := range options {
		if d := editDistance(k, o.name); d < bestDist && o.name != "config" {
			best, bestDist = o.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", key, best)
	}
	return fmt.Sprintf("unknown key %q; keys are the long option names shown by --help, such as users or spawn-rate", key)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseConf parses Locust's config-file format (that of ConfigArgParse):
//
//	key = value     (also "key: value" and "key value")
//	key             (a bare key means true)
//	list = [a, b]   (or list = a, b; items may be quoted)
//	# comment      ; comment      [section headers are ignored]
//
// A value may end with a comment that starts with white space followed by
// "#" or ";". A value wrapped in matching quotes loses them.
func parseConf(data []byte) ([]confEntry, []confError) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var entries []confEntry
	var errs []confError
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' || strings.HasPrefix(line, "---") {
			continue
		}
		end := strings.IndexFunc(line, func(r rune) bool {
			return r == '=' || r == ':' || r == '#' || r == ';' || isSpace(r)
		})
		if end < 0 {
			end = len(line)
		}
		key, rest := line[:end], line[end:]
		if key == "" || strings.HasPrefix(rest, "#") || strings.HasPrefix(rest, ";") {
			errs = append(errs, confError{n, fmt.Sprintf("cannot parse %q; write key = value", line)})
			continue
		}
		rest = strings.TrimLeftFunc(rest, isSpace)
		sep := rest != "" && (rest[0] == '=' || rest[0] == ':')
		if sep {
			rest = rest[1:]
		}
		value := strings.TrimSpace(cutComment(" " + rest))
		if value == "" && !sep {
			// A bare key, as in "headless" or "headless  # comment", means true.
			entries = append(entries, confEntry{key: key, vals: []string{"true"}, line: n})
			continue
		}
		var vals []string
		if len(value) >= 2 && value[0] == '[' && value[len(value)-1] == ']' {
			for _, item := range strings.Split(value[1:len(value)-1], ",") {
				if item = unquote(strings.TrimSpace(item)); item != "" {
					vals = append(vals, item)
				}
			}
			if vals == nil {
				vals = []string{} // an explicit empty list
			}
		} else {
			vals = []string{unquote(value)}
		}
		entries = append(entries, confEntry{key: key, vals: vals, line: n})
	}
	return entries, errs
}

// cutComment drops a trailing comment: white space followed by '#' or ';'.
func cutComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isSpace(rune(s[i-1])) {
			return s[:i]
		}
	}
	return s
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f' }

// parseTOMLConf parses a TOML config file: options as top-level keys and/or
// in a [herd] table. Line numbers of keys are found on a best-effort basis.
func parseTOMLConf(data []byte) (entries []confEntry, errs []confError) {
	defer func() {
		if r := recover(); r != nil { // never let a decoder bug crash herd
			entries, errs = nil, []confError{{0, fmt.Sprintf("invalid TOML: %v", r)}}
		}
	}()
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, []confError{{pe.Position.Line, "invalid TOML: " + pe.Message}}
		}
		return nil, []confError{{0, "invalid TOML: " + err.Error()}}
	}
	lines := tomlKeyLines(string(data))
	add := func(table, key string, v any) {
		line := lines[table+"\x00"+key]
		name := key
		if table != "" {
			name = table + "." + key
		}
		vals, msg := tomlValues(v)
		if msg != "" {
			errs = append(errs, confError{line, fmt.Sprintf("key %q: %s", name, msg)})
			return
		}
		entries = append(entries, confEntry{key: key, vals: vals, line: line})
	}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			if k != "herd" {
				errs = append(errs, confError{lines["\x00"+k], fmt.Sprintf(
					"unknown table %q; put options at the top level or in a [herd] table", k)})
				continue
			}
			for k2, v2 := range sub {
				add("herd", k2, v2)
			}
			continue
		}
		add("", k, v)
	}
	slices.SortFunc(entries, func(a, b confEntry) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.key, b.key)
	})
	slices.SortFunc(errs, func(a, b confError) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.msg, b.msg)
	})
	return entries, errs
}

// tomlValues turns a decoded TOML value into raw strings, or explains why it
// cannot be used.
func tomlValues(v any) ([]string, string) {
	if arr, ok := v.([]any); ok {
		vals := []string{}
		for _, item := range arr {
			s, ok := tomlScalar(item)
			if !ok {
				return nil, "lists may only hold strings, numbers and booleans"
			}
			vals = append(vals, s)
		}
		return vals, ""
	}
	if s, ok := tomlScalar(v); ok {
		return []string{s}, ""
	}
	return nil, "values must be strings, numbers, booleans or lists of them"
}

func tomlScalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

var (
	tomlTableRE = regexp.MustCompile(`^\s*\[\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*\]`)
	tomlKeyRE   = regexp.MustCompile(`^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=`)
)

// tomlKeyLines maps "table\x00key" (table "" for the top level) to the line
// of the first matching "key =" line, and "\x00table" to the line of the
// table header. It is a heuristic: dotted keys and keys inside multi-line
// strings are not recognised.
func tomlKeyLines(data string) map[string]int {
	lines := make(map[string]int)
	table := ""
	for i, line := range strings.Split(data, "\n") {
		if m := tomlTableRE.FindStringSubmatch(line); m != nil {
			table = unquote(m[1])
			if _, ok := lines["\x00"+table]; !ok {
				lines["\x00"+table] = i + 1
			}
			continue
		}
		if m := tomlKeyRE.FindStringSubmatch(line); m != nil {
			k := table + "\x00" + unquote(m[1])
			if _, ok := lines[k]; !ok {
				lines[k] = i + 1
			}
		}
	}
	return lines
}
