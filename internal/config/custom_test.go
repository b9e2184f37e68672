package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testCustom = []Custom{
	{Name: "my-argument", Default: "x", Help: "Only used by the test"},
	{Name: "batch", Default: 5, Help: "Items per batch"},
	{Name: "ratio", Default: 0.5, Help: "Share of writes"},
	{Name: "verbose-checks", Default: false, Help: "Check every body"},
	{Name: "think", Default: 2 * time.Second, Help: "Pause between steps"},
}

// TestCustomLayers checks that a test's own option is set by every layer,
// in the same order as the built-in options.
func TestCustomLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		defaults []string
		file     string
		env      map[string]string
		args     []string
		want     map[string]any
	}{
		{name: "declared defaults",
			want: map[string]any{"my-argument": "x", "batch": 5, "ratio": 0.5, "verbose-checks": false, "think": 2 * time.Second}},
		{name: "test program", defaults: []string{"--my-argument", "d", "--batch=6"},
			want: map[string]any{"my-argument": "d", "batch": 6}},
		{name: "file", defaults: []string{"--batch=6"}, file: "my_argument = f\nbatch = 7\nverbose-checks\nthink = 90\n",
			want: map[string]any{"my-argument": "f", "batch": 7, "verbose-checks": true, "think": 90 * time.Second}},
		{name: "env", file: "batch = 7\n", env: map[string]string{"HERD_MY_ARGUMENT": "e", "HERD_BATCH": "8", "HERD_RATIO": "0.25"},
			want: map[string]any{"my-argument": "e", "batch": 8, "ratio": 0.25}},
		{name: "flags", env: map[string]string{"HERD_MY_ARGUMENT": "e"},
			args: []string{"--my-argument", "cli", "--verbose-checks", "--think=1m", "-u", "3"},
			want: map[string]any{"my-argument": "cli", "verbose-checks": true, "think": time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Args: tt.args, Defaults: tt.defaults, Custom: testCustom,
				Getenv: func(k string) string { return tt.env[k] }}
			if tt.file != "" {
				path := filepath.Join(t.TempDir(), "herd.conf")
				if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
				in.Args = append([]string{"--config", path}, in.Args...)
			}
			cfg, err := Load(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Custom) != len(testCustom) {
				t.Errorf("Custom = %v, want every declared option", cfg.Custom)
			}
			for k, v := range tt.want {
				if cfg.Custom[k] != v {
					t.Errorf("Custom[%q] = %#v, want %#v", k, cfg.Custom[k], v)
				}
			}
		})
	}
}

func TestCustomProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		custom []Custom
		args   []string
		env    map[string]string
		want   []string
	}{
		{name: "bad flag value", custom: testCustom, args: []string{"--batch", "many"},
			want: []string{"batch:", "(from the command line)"}},
		{name: "bad env value", custom: testCustom, env: map[string]string{"HERD_THINK": "soon"},
			want: []string{"think:", "HERD_THINK"}},
		{name: "unknown flag still refused", custom: testCustom, args: []string{"--my-argumnt", "x"},
			want: []string{"unknown flag: --my-argumnt"}},
		{name: "name of a built-in option", custom: []Custom{{Name: "users", Default: 1}},
			want: []string{`option "users": herd has an option of that name`}},
		{name: "bad name", custom: []Custom{{Name: "My_Arg", Default: ""}},
			want: []string{`option "My_Arg"`}},
		{name: "twice", custom: []Custom{{Name: "a", Default: ""}, {Name: "a", Default: 1}},
			want: []string{"declared twice"}},
		{name: "bad type", custom: []Custom{{Name: "a", Default: int64(1)}},
			want: []string{"has type int64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(Input{Args: tt.args, Custom: tt.custom, Getenv: func(k string) string { return tt.env[k] }})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseCustom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		def  any
		in   string
		want any
	}{
		{"", "a b", "a b"},
		{0, "42", 42},
		{0.0, "1.5", 1.5},
		{false, "yes", true},
		{time.Duration(0), "90", 90 * time.Second},
	}
	for _, tt := range tests {
		got, err := ParseCustom(tt.def, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCustom(%#v, %q) = %#v, %v; want %#v", tt.def, tt.in, got, err, tt.want)
		}
		if back, err := ParseCustom(tt.def, FormatCustom(got)); err != nil || back != got {
			t.Errorf("FormatCustom(%#v) = %q does not parse back: %#v, %v", got, FormatCustom(got), back, err)
		}
	}
	if _, err := ParseCustom(0, "x"); err == nil {
		t.Error(`ParseCustom(0, "x") succeeded`)
	}
}

func TestUsageCustomGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Usage(&buf, "herd", testCustom...)
	golden := filepath.Join("testdata", "usage_custom.golden")
	if *update {
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

// TestLocustKeysIgnored: a Locust config file's locustfile key (and other
// keys that change nothing in herd) is skipped with a note, not refused.
func TestLocustKeysIgnored(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locust.conf")
	conf := "locustfile = locustfile.py\nusers = 3\nskip_log_setup = true\nmodern-ui\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Input{Args: []string{"--config", path}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Users != 3 {
		t.Errorf("Users = %d, want 3", cfg.Users)
	}
	want := []string{
		"config file " + path + `:1: ignoring Locust's key "locustfile": the test is the program herd runs`,
		"config file " + path + `:3: ignoring Locust's key "skip_log_setup": herd configures only its own logger`,
		"config file " + path + `:4: ignoring Locust's key "modern-ui": herd has one web UI`,
	}
	if strings.Join(cfg.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("Notes =\n%s\nwant\n%s", strings.Join(cfg.Notes, "\n"), strings.Join(want, "\n"))
	}
}
