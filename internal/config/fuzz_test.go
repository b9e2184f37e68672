package config

import (
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

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"300", "1h30m", "90s", "2m30s", "-5", "1.5", "", "nonsense", "9999999999", ".", "+", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("empty error for %q", s)
			}
			return
		}
		// Every accepted duration survives a round trip through its String form.
		back, err := parseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("parseDuration(%q) = %v, but %q parses as %v, %v", s, d, d.String(), back, err)
		}
		// A bare whole number is seconds.
		if n, err := parseInt(s); err == nil && n > -1e9 && n < 1e9 && d != time.Duration(n)*time.Second {
			t.Errorf("parseDuration(%q) = %v, want %d seconds", s, d, n)
		}
	})
}

// FuzzLoad checks that no command line or environment makes Load panic.
func FuzzLoad(f *testing.F) {
	f.Add("-u\x00-5\x00-r\x000\x00-t\x00nonsense\x00-H\x00ftp://x", "abc")
	f.Add("--tags\x00a,b\x00User", "1h")
	f.Fuzz(func(t *testing.T, args, envValue string) {
		if strings.Contains(args, "config") {
			t.Skip("reading arbitrary files is not the point here")
		}
		getenv := func(k string) string {
			if k == "HERD_CONFIG" {
				return ""
			}
			return envValue
		}
		_, _ = Load(strings.Split(args, "\x00"), getenv)
	})
}
