package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/usage.golden")

func TestUsageGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf, "herd")
	golden := filepath.Join("testdata", "usage.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("usage differs from %s (run go test -update if intended):\n%s", golden, buf.String())
	}
}

func TestUsageMentionsEveryOption(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf, "loadgen")
	out := buf.String()
	if !strings.HasPrefix(out, "Usage: loadgen [OPTIONS] [UserClass ...]\n") {
		t.Errorf("usage does not start with the program's synopsis:\n%s", out)
	}
	for _, o := range options {
		want := "--" + o.name
		if o.short != "" {
			want = "-" + o.short + ", --" + o.name
		}
		if o.positional {
			want = "UserClass"
		}
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
	for i, line := range strings.Split(out, "\n") {
		if len(line) > usageWidth && !strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "      --") {
			t.Errorf("line %d is longer than %d columns: %q", i+1, usageWidth, line)
		}
	}
}

func TestFlagTypeNames(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"users": "int", "spawn-rate": "float", "run-time": "duration", "host": "string",
		"headless": "bool", "tags": "strings", "loglevel": "level",
	}
	for name, typ := range want {
		r := &rawFlag{opt: lookupOption(name)}
		if got := r.Type(); got != typ {
			t.Errorf("%s: Type() = %q, want %q", name, got, typ)
		}
	}
}
