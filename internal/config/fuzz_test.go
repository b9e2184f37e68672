package config

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func FuzzParseConf(f *testing.F) {
	f.Add([]byte(locustConf))
	f.Add([]byte("users = 5 # c\n[x]\n; c\nheadless\ntags = [a, \"b\"]\n"))
	f.Add([]byte("=\nusers#5\n\r\n\uFEFFk: v\n---\nk v"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, errs := parseConf(data)
		lines := strings.Count(string(data), "\n") + 1
		last := 0
		for _, e := range entries {
			if e.key == "" || strings.ContainsAny(e.key, "=:#; \t\r") {
				t.Errorf("bad key %q", e.key)
			}
			if e.line < 1 || e.line > lines || e.line <= last {
				t.Errorf("line %d out of order or range (%d lines)", e.line, lines)
			}
			last = e.line
			if e.vals == nil {
				t.Errorf("key %q has nil values", e.key)
			}
		}
		for _, e := range errs {
			if e.line < 1 || e.line > lines || e.msg == "" {
				t.Errorf("bad error %+v", e)
			}
		}
	})
}

// FuzzLoad checks that no command line, test program defaults or
// environment makes Load panic.
func FuzzLoad(f *testing.F) {
	f.Add("-u\x00-5\x00-r\x000\x00-t\x00nonsense\x00-H\x00ftp://x", "-u\x0020", "abc")
	f.Add("--tags\x00a,b\x00User", "--shape\x00stages:1m:10\x00--threshold\x00p95<1s", "1h")
	f.Fuzz(func(t *testing.T, args, defaults, envValue string) {
		if files.MatchString(args + defaults) {
			t.Skip("reading or probing arbitrary files is not the point here")
		}
		getenv := func(k string) string {
			if files.MatchString(strings.ToLower(k)) {
				return ""
			}
			return envValue
		}
		_, _ = Load(Input{Args: strings.Split(args, "\x00"), Defaults: strings.Split(defaults, "\x00"), Getenv: getenv})
	})
}

// files matches the options that name a file to read or write.
var files = regexp.MustCompile(`config|html|json-file|json_file|junit|csv|logfile`)

// FuzzParseCustom: a test option's value either converts, and formats back
// to text that converts to the same value, or is refused.
func FuzzParseCustom(f *testing.F) {
	for _, s := range []string{"x", "42", "-1.5e3", "yes", "90", "1h30m", ""} {
		f.Add(uint8(0), s)
	}
	defs := []any{"", 0, 0.0, false, time.Duration(0)}
	f.Fuzz(func(t *testing.T, kind uint8, s string) {
		def := defs[int(kind)%len(defs)]
		v, err := ParseCustom(def, s)
		if err != nil {
			return
		}
		if x, ok := v.(float64); ok && x != x {
			return // NaN never equals itself
		}
		back, err := ParseCustom(def, FormatCustom(v))
		if err != nil || back != v {
			t.Fatalf("%#v formats as %q, which parses to %#v, %v", v, FormatCustom(v), back, err)
		}
	})
}
