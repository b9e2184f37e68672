package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/threshold"
)

// env returns a getenv function reading m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to a file called name in a fresh temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// problemsOf extracts the Problems from err, failing the test otherwise.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	return ps
}

func fields(ps Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Field)
	}
	return out
}

func TestDefault(t *testing.T) {
	t.Parallel()
	got, err := load(nil, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		Users: 1, SpawnRate: 1, ExitCodeOnError: 1, LogLevel: slog.LevelInfo,
		RequestTimeout: time.Minute, MaxLateness: 10 * time.Second, ArrivalQuantum: 10 * time.Millisecond, WebPort: 8089, Autoquit: -1,
		MasterBindPort: 5557, ExpectWorkers: 1, MasterHost: "127.0.0.1", MasterPort: 5557, MaxNames: 20000, MetricsPort: -1,
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(Default(), want) {
		t.Errorf("load(nil) = %+v\nDefault() = %+v\nwant %+v", got, Default(), want)
	}
	if err := want.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// TestHelpDefaultsMatch checks that the defaults shown in --help are the
// ones Default returns.
func TestHelpDefaultsMatch(t *testing.T) {
	t.Parallel()
	for _, o := range options {
		if o.def == "" {
			continue
		}
		var c Config
		if err := o.assign(&c, []string{o.def}); err != nil {
			t.Errorf("%s: help default %q does not parse: %v", o.name, o.def, err)
			continue
		}
		d := Default()
		if got, want := reflect.ValueOf(o.field(&c)).Elem().Interface(), reflect.ValueOf(o.field(&d)).Elem().Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: help says default %v, Default() has %v", o.name, got, want)
		}
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // output files must be writable
	tests := []struct {
		name string
		args []string
		want func(*Config)
	}{
		{"users short", []string{"-u", "5"}, func(c *Config) { c.Users = 5 }},
		{"users short attached", []string{"-u5"}, func(c *Config) { c.Users = 5 }},
		{"users long", []string{"--users", "7"}, func(c *Config) { c.Users = 7 }},
		{"users long equals", []string{"--users=7"}, func(c *Config) { c.Users = 7 }},
		{"users last wins", []string{"-u", "1", "--users", "9"}, func(c *Config) { c.Users = 9 }},
		{"users zero", []string{"-u", "0"}, func(c *Config) { c.Users = 0 }},
		{"spawn-rate short", []string{"-r", "2.5"}, func(c *Config) { c.SpawnRate = 2.5 }},
		{"spawn-rate long", []string{"--spawn-rate", "0.5"}, func(c *Config) { c.SpawnRate = 0.5 }},
		{"run-time short", []string{"-t", "1h30m"}, func(c *Config) { c.RunTime = 90 * time.Minute }},
		{"run-time long seconds", []string{"--run-time", "300"}, func(c *Config) { c.RunTime = 300 * time.Second }},
		{"host short", []string{"-H", "http://10.21.32.33"}, func(c *Config) { c.Host = "http://10.21.32.33" }},
		{"host long trailing slash", []string{"--host", "https://example.com/api/"}, func(c *Config) { c.Host = "https://example.com/api" }},
		{"headless", []string{"--headless"}, func(c *Config) { c.Headless = true }},
		{"headless=false", []string{"--headless=false"}, func(*Config) {}},
		{"headless=yes", []string{"--headless=yes"}, func(c *Config) { c.Headless = true }},
		{"stop-timeout short", []string{"-s", "10"}, func(c *Config) { c.StopTimeout = 10 * time.Second }},
		{"stop-timeout long", []string{"--stop-timeout", "2m30s"}, func(c *Config) { c.StopTimeout = 150 * time.Second }},
		{"tags short repeated", []string{"-T", "a", "-T", "b,c"}, func(c *Config) { c.Tags = []string{"a", "b", "c"} }},
		{"tags long spaces", []string{"--tags", "a b", "--tags=c"}, func(c *Config) { c.Tags = []string{"a", "b", "c"} }},
		{"tags empty", []string{"-T", ""}, func(*Config) {}},
		{"exclude-tags short", []string{"-E", "slow"}, func(c *Config) { c.ExcludeTags = []string{"slow"} }},
		{"exclude-tags long", []string{"--exclude-tags", "slow,flaky"}, func(c *Config) { c.ExcludeTags = []string{"slow", "flaky"} }},
		{"csv", []string{"--csv", dir + "/run"}, func(c *Config) { c.CSVPrefix = dir + "/run" }},
		{"csv-full-history", []string{"--csv=" + dir + "/x", "--csv-full-history"}, func(c *Config) { c.CSVPrefix = dir + "/x"; c.CSVFullHistory = true }},
		{"json", []string{"--json"}, func(c *Config) { c.JSON = true }},
		{"json-file", []string{"--json-file", dir + "/stats.json"}, func(c *Config) { c.JSONFile = dir + "/stats.json" }},
		{"html", []string{"--html", dir + "/report.html"}, func(c *Config) { c.HTMLFile = dir + "/report.html" }},
		{"print-stats", []string{"--print-stats"}, func(c *Config) { c.PrintStats = true }},
		{"only-summary", []string{"--only-summary"}, func(c *Config) { c.OnlySummary = true }},
		{"reset-stats", []string{"--reset-stats"}, func(c *Config) { c.ResetStats = true }},
		{"list short", []string{"-l"}, func(c *Config) { c.List = true }},
		{"list long", []string{"--list"}, func(c *Config) { c.List = true }},
		{"combined shorts", []string{"-lu3"}, func(c *Config) { c.List = true; c.Users = 3 }},
		{"show-task-ratio", []string{"--show-task-ratio"}, func(c *Config) { c.ShowTaskRatio = true }},
		{"exit-code-on-error", []string{"--exit-code-on-error", "0"}, func(c *Config) { c.ExitCodeOnError = 0 }},
		{"loglevel short", []string{"-L", "debug"}, func(c *Config) { c.LogLevel = slog.LevelDebug }},
		{"loglevel long warn", []string{"--loglevel", "WARN"}, func(c *Config) { c.LogLevel = slog.LevelWarn }},
		{"loglevel warning", []string{"--loglevel=Warning"}, func(c *Config) { c.LogLevel = slog.LevelWarn }},
		{"loglevel critical", []string{"--loglevel", "CRITICAL"}, func(c *Config) { c.LogLevel = slog.LevelError }},
		{"logfile", []string{"--logfile", dir + "/herd.log"}, func(c *Config) { c.LogFile = dir + "/herd.log" }},
		{"request-timeout", []string{"--request-timeout", "5s"}, func(c *Config) { c.RequestTimeout = 5 * time.Second }},
		{"web-host", []string{"--web-host", "0.0.0.0"}, func(c *Config) { c.WebHost = "0.0.0.0" }},
		{"web-host star", []string{"--web-host", "*"}, func(c *Config) { c.WebHost = "" }},
		{"web-port short", []string{"-P", "9000"}, func(c *Config) { c.WebPort = 9000 }},
		{"web-port long", []string{"--web-port", "9001"}, func(c *Config) { c.WebPort = 9001 }},
		{"autostart", []string{"--autostart"}, func(c *Config) { c.Autostart = true }},
		{"autoquit", []string{"--autostart", "--autoquit", "10"}, func(c *Config) { c.Autostart = true; c.Autoquit = 10 }},
		{"user classes", []string{"WebUser", "ApiUser"}, func(c *Config) { c.UserClasses = []string{"WebUser", "ApiUser"} }},
		{"user classes interspersed", []string{"WebUser", "-u", "3", "ApiUser"}, func(c *Config) {
			c.Users = 3
			c.UserClasses = []string{"WebUser", "ApiUser"}
		}},
		{"user classes after --", []string{"-u", "2", "--", "-h"}, func(c *Config) { c.Users = 2; c.UserClasses = []string{"-h"} }},
		{"negative value for short flag", []string{"--autostart", "--autoquit", "-1"}, func(c *Config) { c.Autostart = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := load(tt.args, env(nil))
			if err != nil {
				t.Fatalf("load(%q): %v", tt.args, err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("load(%q)\n got %+v\nwant %+v", tt.args, got, want)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config)
	}{
		{"users", map[string]string{"HERD_USERS": "12"}, func(c *Config) { c.Users = 12 }},
		{"spawn rate", map[string]string{"HERD_SPAWN_RATE": "3"}, func(c *Config) { c.SpawnRate = 3 }},
		{"run time", map[string]string{"HERD_RUN_TIME": "2m"}, func(c *Config) { c.RunTime = 2 * time.Minute }},
		{"host", map[string]string{"HERD_HOST": "http://localhost:8080/"}, func(c *Config) { c.Host = "http://localhost:8080" }},
		{"headless true", map[string]string{"HERD_HEADLESS": "true"}, func(c *Config) { c.Headless = true }},
		{"headless YES", map[string]string{"HERD_HEADLESS": "YES"}, func(c *Config) { c.Headless = true }},
		{"headless On", map[string]string{"HERD_HEADLESS": "On"}, func(c *Config) { c.Headless = true }},
		{"headless 1", map[string]string{"HERD_HEADLESS": "1"}, func(c *Config) { c.Headless = true }},
		{"headless False", map[string]string{"HERD_HEADLESS": "False"}, func(*Config) {}},
		{"headless off", map[string]string{"HERD_HEADLESS": "off"}, func(*Config) {}},
		{"empty is unset", map[string]string{"HERD_USERS": ""}, func(*Config) {}},
		{"tags", map[string]string{"HERD_TAGS": "a,b, c"}, func(c *Config) { c.Tags = []string{"a", "b", "c"} }},
		{"exclude tags", map[string]string{"HERD_EXCLUDE_TAGS": "slow"}, func(c *Config) { c.ExcludeTags = []string{"slow"} }},
		{"csv", map[string]string{"HERD_CSV": dir + "/out", "HERD_CSV_FULL_HISTORY": "yes"}, func(c *Config) { c.CSVPrefix = dir + "/out"; c.CSVFullHistory = true }},
		{"loglevel", map[string]string{"HERD_LOGLEVEL": "debug"}, func(c *Config) { c.LogLevel = slog.LevelDebug }},
		{"exit code", map[string]string{"HERD_EXIT_CODE_ON_ERROR": "3"}, func(c *Config) { c.ExitCodeOnError = 3 }},
		{"stop timeout", map[string]string{"HERD_STOP_TIMEOUT": "5"}, func(c *Config) { c.StopTimeout = 5 * time.Second }},
		{"request timeout", map[string]string{"HERD_REQUEST_TIMEOUT": "1.5"}, func(c *Config) { c.RequestTimeout = 1500 * time.Millisecond }},
		{"web", map[string]string{"HERD_WEB_HOST": "::1", "HERD_WEB_PORT": "8000", "HERD_AUTOSTART": "1", "HERD_AUTOQUIT": "0"},
			func(c *Config) { c.WebHost = "::1"; c.WebPort = 8000; c.Autostart = true; c.Autoquit = 0 }},
		{"user classes", map[string]string{"HERD_USER_CLASSES": "A,B"}, func(c *Config) { c.UserClasses = []string{"A", "B"} }},
		{"unknown HERD_ variable ignored", map[string]string{"HERD_NONSENSE": "x", "HERD_HELP": "1"}, func(*Config) {}},
		{"foreign prefix ignored", map[string]string{"LOCUST_USERS": "5", "USERS": "5"}, func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := load(nil, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("env %v\n got %+v\nwant %+v", tt.env, got, want)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	conf := "users = 2\ntags = [file]\n"
	tests := []struct {
		name      string
		file      bool
		env       map[string]string
		args      []string
		wantUsers int
		wantTags  []string
	}{
		{name: "default", wantUsers: 1},
		{name: "file", file: true, wantUsers: 2, wantTags: []string{"file"}},
		{name: "env", env: map[string]string{"HERD_USERS": "3", "HERD_TAGS": "env"}, wantUsers: 3, wantTags: []string{"env"}},
		{name: "flag", args: []string{"-u", "4", "-T", "flag"}, wantUsers: 4, wantTags: []string{"flag"}},
		{name: "env over file", file: true, env: map[string]string{"HERD_USERS": "3", "HERD_TAGS": "env"}, wantUsers: 3, wantTags: []string{"env"}},
		{name: "flag over file", file: true, args: []string{"-u", "4", "-T", "flag"}, wantUsers: 4, wantTags: []string{"flag"}},
		{name: "flag over env", env: map[string]string{"HERD_USERS": "3", "HERD_TAGS": "env"}, args: []string{"--users=4", "--tags=flag"}, wantUsers: 4, wantTags: []string{"flag"}},
		{name: "flag over env over file", file: true, env: map[string]string{"HERD_USERS": "3"}, args: []string{"-u", "4"}, wantUsers: 4, wantTags: []string{"file"}},
		{name: "empty flag list clears", file: true, args: []string{"-T", ""}, wantUsers: 2, wantTags: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Clone(tt.args)
			if tt.file {
				args = append(args, "--config", writeFile(t, "herd.conf", conf))
			}
			got, err := load(args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Users != tt.wantUsers || !slices.Equal(got.Tags, tt.wantTags) {
				t.Errorf("Users, Tags = %d, %q; want %d, %q", got.Users, got.Tags, tt.wantUsers, tt.wantTags)
			}
		})
	}
}

// TestPrecedencePerField checks that each field comes from its own highest layer.
func TestPrecedencePerField(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "herd.conf", "users = 2\nspawn-rate = 2\nhost = http://file\nrun-time = 1m\n")
	got, err := load([]string{"-H", "http://flag", "--config", path},
		env(map[string]string{"HERD_SPAWN_RATE": "3", "HERD_HOST": "http://env"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Users, want.SpawnRate, want.Host, want.RunTime, want.ConfigFile = 2, 3, "http://flag", time.Minute, path
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestConfigFileNaming(t *testing.T) {
	t.Parallel()
	fromEnv := writeFile(t, "env.conf", "users = 5\n")
	fromFlag := writeFile(t, "flag.toml", "users = 6\n")

	got, err := load(nil, env(map[string]string{"HERD_CONFIG": fromEnv}))
	if err != nil || got.Users != 5 || got.ConfigFile != fromEnv {
		t.Errorf("HERD_CONFIG: got Users %d, ConfigFile %q, err %v", got.Users, got.ConfigFile, err)
	}
	got, err = load([]string{"--config", fromFlag}, env(map[string]string{"HERD_CONFIG": fromEnv}))
	if err != nil || got.Users != 6 || got.ConfigFile != fromFlag {
		t.Errorf("--config over HERD_CONFIG: got Users %d, ConfigFile %q, err %v", got.Users, got.ConfigFile, err)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"-u", "5", "--help"}, {"--bogus", "-h"}, {"-u", "abc", "-h"},
	} {
		if _, err := load(args, env(nil)); err != ErrHelp {
			t.Errorf("load(%q) error = %v, want ErrHelp", args, err)
		}
	}
}

func TestFlagSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"-x"}, "unknown shorthand flag: 'x'"},
		{[]string{"-u"}, "flag needs an argument"},
		{[]string{"--users"}, "flag needs an argument"},
		{[]string{"---users=1"}, "bad flag syntax"},
	}
	for _, tt := range tests {
		_, err := load(tt.args, env(map[string]string{"HERD_USERS": "bad"}))
		ps := problemsOf(t, err)
		if len(ps) != 1 || !strings.Contains(ps[0].Message, tt.want) || ps[0].Source != "command line" {
			t.Errorf("load(%q) = %v; want one command-line problem containing %q", tt.args, err, tt.want)
		}
		if !strings.Contains(err.Error(), "--help") {
			t.Errorf("load(%q) error %q does not point to --help", tt.args, err)
		}
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	_, err := load([]string{"-u", "-5", "-r", "0", "-t", "nonsense", "-H", "shop.test"}, env(nil))
	ps := problemsOf(t, err)
	if got, want := fields(ps), []string{"host", "users", "spawn-rate", "run-time"}; !slices.Equal(got, want) {
		t.Errorf("problem fields = %q, want %q\n%v", got, want, err)
	}
	msg := err.Error()
	for _, want := range []string{
		"4 configuration problems:\n",
		`--run-time: "nonsense" is not a duration`,
		`--host: "shop.test" is neither a URL nor host:port`,
		"--users: must not be negative, got -5 (from the command line)",
		"--spawn-rate: must be a number of users per second greater than 0, got 0",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %q:\n%s", want, msg)
		}
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.Source, "flag --") {
			t.Errorf("problem %+v: want a flag source", p)
		}
	}
}

func TestProblemsFromEveryLayer(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "herd.conf", "# comment\nusers = 1\nspawn-rate = fast\nheadless = maybe\nuserz = 3\n")
	cfg, err := load([]string{"--config", path, "-L", "loud", "--csv-full-history"},
		env(map[string]string{"HERD_USERS": "abc", "HERD_WEB_PORT": "70000"}))
	ps := problemsOf(t, err)
	want := Problems{
		{Source: "config file " + path + ":5", Message: `unknown key "userz" (did you mean "users"?)`},
		{Source: "environment HERD_USERS", Field: "users", Message: `"abc" is not a whole number`},
		{Source: "config file " + path + ":3", Field: "spawn-rate", Message: `"fast" is not a number (use e.g. 1, 0.5 or 10)`},
		{Source: "environment HERD_WEB_PORT", Field: "web-port", Message: "must be a port number between 0 and 65535 (0 picks a free one), got 70000"},
		{Source: "config file " + path + ":4", Field: "headless", Message: `"maybe" is not a boolean; use true/false, yes/no, on/off or 1/0`},
		{Source: "flag --csv-full-history", Field: "csv-full-history", Message: "requires --csv PREFIX"},
		{Source: "flag --loglevel", Field: "loglevel", Message: `"loud" is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL`},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("problems:\n%v\nwant:\n%v", ps, want)
	}
	if got := ps[1].String(); got != `--users: "abc" is not a whole number (from environment HERD_USERS)` {
		t.Errorf("String() = %q", got)
	}
	if got := ps[0].String(); got != "config file "+path+`:5: unknown key "userz" (did you mean "users"?)` {
		t.Errorf("String() = %q", got)
	}
	// Bad values keep their defaults.
	if cfg.Users != 1 || cfg.SpawnRate != 1 || cfg.LogLevel != slog.LevelInfo {
		t.Errorf("bad values changed the config: %+v", cfg)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string // problem fields
	}{
		{"defaults", func(*Config) {}, nil},
		{"zero users", func(c *Config) { c.Users = 0 }, nil},
		{"negative users", func(c *Config) { c.Users = -1 }, []string{"users"}},
		{"zero spawn rate", func(c *Config) { c.SpawnRate = 0 }, []string{"spawn-rate"}},
		{"negative spawn rate", func(c *Config) { c.SpawnRate = -2 }, []string{"spawn-rate"}},
		{"small spawn rate", func(c *Config) { c.SpawnRate = 0.01 }, nil},
		{"negative run time", func(c *Config) { c.RunTime = -time.Second }, []string{"run-time"}},
		{"http host", func(c *Config) { c.Host = "http://10.21.32.33:8080" }, nil},
		{"https host with path", func(c *Config) { c.Host = "https://example.com/api" }, nil},
		{"upper-case scheme", func(c *Config) { c.Host = "HTTP://example.com" }, nil},
		{"host without scheme", func(c *Config) { c.Host = "example.com" }, []string{"host"}},
		{"host:port, for users that are not HTTP users", func(c *Config) { c.Host = "localhost:50051" }, nil},
		{"IPv6 host:port", func(c *Config) { c.Host = "[::1]:50051" }, nil},
		{"any scheme, for users that are not HTTP users", func(c *Config) { c.Host = "grpc://example.com:50051" }, nil},
		{"host:port without a port number", func(c *Config) { c.Host = "localhost:grpc" }, []string{"host"}},
		{"port without a host", func(c *Config) { c.Host = ":50051" }, []string{"host"}},
		{"scheme without a host", func(c *Config) { c.Host = "grpc://" }, []string{"host"}},
		{"host without name", func(c *Config) { c.Host = "http://" }, []string{"host"}},
		{"unparsable host", func(c *Config) { c.Host = "http://exa mple.com" }, []string{"host"}},
		{"csv-full-history without csv", func(c *Config) { c.CSVFullHistory = true }, []string{"csv-full-history"}},
		{"csv-full-history with csv", func(c *Config) { c.CSVFullHistory = true; c.CSVPrefix = "x" }, nil},
		{"exit code 255", func(c *Config) { c.ExitCodeOnError = 255 }, nil},
		{"exit code 256", func(c *Config) { c.ExitCodeOnError = 256 }, []string{"exit-code-on-error"}},
		{"exit code -1", func(c *Config) { c.ExitCodeOnError = -1 }, []string{"exit-code-on-error"}},
		{"web port -1", func(c *Config) { c.WebPort = -1 }, []string{"web-port"}},
		{"web auth without password separator", func(c *Config) { c.WebAuth = "admin" }, []string{"web-auth"}},
		{"tls cert without key", func(c *Config) { c.TLSCert = "c.pem" }, []string{"tls-cert"}},
		{"web port 65535", func(c *Config) { c.WebPort = 65535 }, nil},
		{"web port 65536", func(c *Config) { c.WebPort = 65536 }, []string{"web-port"}},
		{"autoquit without autostart", func(c *Config) { c.Autoquit = 5 }, []string{"autoquit"}},
		{"autoquit below -1", func(c *Config) { c.Autoquit = -2; c.Autostart = true }, []string{"autoquit"}},
		{"negative stop timeout", func(c *Config) { c.StopTimeout = -1 }, []string{"stop-timeout"}},
		{"zero request timeout", func(c *Config) { c.RequestTimeout = 0 }, []string{"request-timeout"}},
		{"shape", func(c *Config) { c.Shape = mustShape("stages:30s:100,1m:0") }, nil},
		{"shape and arrival rate", func(c *Config) { c.Shape = mustShape("stages:30s:100"); c.ArrivalRate = mustRate("10") }, []string{"shape"}},
		{"arrival rate", func(c *Config) { c.ArrivalRate = mustRate("1200/m"); c.MaxUsers = 5; c.Poisson = true }, nil},
		{"max users without arrival rate", func(c *Config) { c.MaxUsers = 5 }, []string{"max-users"}},
		{"max users under users", func(c *Config) { c.ArrivalRate = mustRate("5"); c.Users = 10; c.MaxUsers = 5 }, []string{"max-users"}},
		{"negative max users", func(c *Config) { c.MaxUsers = -1 }, []string{"max-users"}},
		{"zero max lateness", func(c *Config) { c.MaxLateness = 0 }, []string{"max-lateness"}},
		{"negative arrival quantum", func(c *Config) { c.ArrivalQuantum = -time.Millisecond }, []string{"arrival-quantum"}},
		{"arrival quantum past a second", func(c *Config) { c.ArrivalQuantum = 2 * time.Second }, []string{"arrival-quantum"}},
		{"processes below -1 with worker", func(c *Config) { c.Processes = -2; c.Worker = true }, []string{"processes"}},
		{"processes with worker", func(c *Config) { c.Processes = 2; c.Worker = true }, []string{"processes"}},
		{"master and worker", func(c *Config) { c.Master = true; c.Worker = true }, []string{"worker"}},
		{"worker without master host", func(c *Config) { c.Worker = true; c.MasterHost = "" }, []string{"master-host"}},
		{"master ports", func(c *Config) { c.MasterBindPort = -1; c.MasterPort = 65536 }, []string{"master-bind-port", "master-port"}},
		{"expect workers", func(c *Config) { c.ExpectWorkers = 0; c.ExpectWorkersMaxWait = -1 }, []string{"expect-workers", "expect-workers-max-wait"}},
		{"many", func(c *Config) { c.Users = -1; c.SpawnRate = 0; c.WebPort = -1; c.ExitCodeOnError = 300 },
			[]string{"users", "spawn-rate", "web-port", "exit-code-on-error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.mutate(&c)
			before := c
			err := c.Validate()
			if !reflect.DeepEqual(c, before) {
				t.Errorf("Validate modified the config")
			}
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			ps := problemsOf(t, err)
			if got := fields(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problem fields = %q, want %q (%v)", got, tt.want, err)
			}
			for _, p := range ps {
				if p.Source != "" || p.Message == "" {
					t.Errorf("problem %+v: want empty Source and a message", p)
				}
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ps   Problems
		want string
	}{
		{Problems{{Field: "users", Message: "must not be negative, got -1"}}, "--users: must not be negative, got -1"},
		{Problems{{Source: "command line", Field: "user-classes", Message: "x"}}, "user-classes: x (from the command line)"},
		{Problems{{Source: "command line", Message: "unknown flag: --x"}}, "command line: unknown flag: --x"},
		{Problems{{Message: "bare"}}, "bare"},
		{Problems{
			{Source: "environment HERD_USERS", Field: "users", Message: "a"},
			{Source: "config file h.conf:2", Field: "spawn-rate", Message: "b"},
		}, "2 configuration problems:\n  --users: a (from environment HERD_USERS)\n  --spawn-rate: b (from config file h.conf:2)"},
	}
	for _, tt := range tests {
		if got := tt.ps.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestNeverPanics feeds hostile input through every layer.
func TestNeverPanics(t *testing.T) {
	t.Parallel()
	weird := []string{"", " ", "\x00", "-", "--", "=", "-u=", "--users=", "1e400", "NaN", "Inf", "-9223372036854775809",
		"99999999999999999999h", "[", "]", "\"", "'", "ü", "\xff", "http://[::1", "%zz", "1h1h1h1h"}
	dir := t.TempDir()
	for _, w := range weird {
		for _, o := range options {
			v := w
			switch o.name {
			case "html", "json-file", "junit", "csv", "logfile":
				v = filepath.Join(dir, w) // probe files in a place of our own
			}
			args := []string{"--" + o.name, v}
			if o.positional {
				args = []string{"--", v}
			}
			_, _ = load(args, env(map[string]string{envName(o.name): v}))
			_, _ = Load(Input{Defaults: args})
		}
		_, _ = load([]string{w}, env(nil))
	}
}

// load is Load with only arguments and an environment.
func load(args []string, getenv func(string) string) (Config, error) {
	return Load(Input{Args: args, Getenv: getenv})
}

func mustShape(spec string) *shape.Shape {
	s, err := shape.Parse(spec)
	if err != nil {
		panic(err)
	}
	return &s
}

func mustRate(spec string) *shape.Rate {
	r, err := shape.ParseRate(spec)
	if err != nil {
		panic(err)
	}
	return &r
}

func mustThresholds(exprs ...string) []threshold.Threshold {
	ts, err := threshold.ParseAll(exprs)
	if err != nil {
		panic(err)
	}
	return ts
}
