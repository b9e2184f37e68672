package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []confEntry
		errs []confError
	}{
		{"equals", "users = 5", []confEntry{{"users", []string{"5"}, 1}}, nil},
		{"no spaces", "users=5", []confEntry{{"users", []string{"5"}, 1}}, nil},
		{"colon", "host: http://x:80/", []confEntry{{"host", []string{"http://x:80/"}, 1}}, nil},
		{"space separator", "users 5", []confEntry{{"users", []string{"5"}, 1}}, nil},
		{"bare key is true", "headless", []confEntry{{"headless", []string{"true"}, 1}}, nil},
		{"bare key with comment", "headless  # yes", []confEntry{{"headless", []string{"true"}, 1}}, nil},
		{"empty value", "csv =", []confEntry{{"csv", []string{""}, 1}}, nil},
		{"comments and blanks", "# c\n; c\n\n   \n[locust]\n---\nusers = 2\n", []confEntry{{"users", []string{"2"}, 7}}, nil},
		{"inline comments", "users = 5 # five\nspawn-rate = 2 ; two", []confEntry{
			{"users", []string{"5"}, 1}, {"spawn-rate", []string{"2"}, 2}}, nil},
		{"hash without space is kept", "host = http://x/#frag", []confEntry{{"host", []string{"http://x/#frag"}, 1}}, nil},
		{"quoted", `csv = "out dir/run"` + "\nlogfile = 'a.log'", []confEntry{
			{"csv", []string{"out dir/run"}, 1}, {"logfile", []string{"a.log"}, 2}}, nil},
		{"list", "tags = [a, b ,c]", []confEntry{{"tags", []string{"a", "b", "c"}, 1}}, nil},
		{"json list", `tags = ["a", "b"]`, []confEntry{{"tags", []string{"a", "b"}, 1}}, nil},
		{"empty list", "tags = []", []confEntry{{"tags", []string{}, 1}}, nil},
		{"comma list stays one value", "tags = a, b", []confEntry{{"tags", []string{"a, b"}, 1}}, nil},
		{"crlf and bom", "\uFEFFusers = 5\r\nheadless = true\r\n", []confEntry{
			{"users", []string{"5"}, 1}, {"headless", []string{"true"}, 2}}, nil},
		{"underscores kept as written", "spawn_rate = 3", []confEntry{{"spawn_rate", []string{"3"}, 1}}, nil},
		{"missing key", "= 5\nusers = 1", []confEntry{{"users", []string{"1"}, 2}},
			[]confError{{1, `cannot parse "= 5"; write key = value`}}},
		{"comment glued to key", "users#5", nil, []confError{{1, `cannot parse "users#5"; write key = value`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := parseConf([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(errs, tt.errs) {
				t.Errorf("parseConf(%q)\n got %+v %v\nwant %+v %v", tt.in, got, errs, tt.want, tt.errs)
			}
		})
	}
}

const locustConf = `# Locust-style config file
[locust]
host = https://example.com/
users = 50
spawn_rate = 5
run-time = 1h30m
headless
stop-timeout = 10
tags = [checkout, search]
exclude-tags = slow
csv = OUT/run
csv-full-history = true
json = false
json-file = OUT/stats.json
html = OUT/report.html
print-stats = true
only-summary = true
reset-stats = true
list = false
show-task-ratio = true
exit-code-on-error = 2
loglevel = warning
logfile = OUT/herd.log
request-timeout = 5s
user-classes = [WebUser, ApiUser]
web-host = *
web-port = 8090
autostart = true
autoquit = 30
`

const tomlConf = `# TOML config file
host = "https://example.com/"
users = 50
spawn-rate = 5
run_time = "1h30m"
headless = true
stop-timeout = 10
tags = ["checkout", "search"]
exclude-tags = "slow"
csv = "OUT/run"
csv-full-history = true
json = false
json-file = "OUT/stats.json"
html = "OUT/report.html"
print-stats = true
only-summary = true
reset-stats = true
list = false
show-task-ratio = true
exit-code-on-error = 2
loglevel = "warning"
logfile = "OUT/herd.log"
request-timeout = "5s"
user-classes = ["WebUser", "ApiUser"]
web-host = "*"
web-port = 8090
autostart = true
autoquit = 30
`

// fullFileConfig is what locustConf and tomlConf hold, with OUT replaced
// by dir.
func fullFileConfig(path, dir string) Config {
	return Config{
		Host: "https://example.com", Users: 50, SpawnRate: 5, RunTime: 90 * time.Minute, Headless: true,
		StopTimeout: 10 * time.Second, Tags: []string{"checkout", "search"}, ExcludeTags: []string{"slow"},
		CSVPrefix: dir + "/run", CSVFullHistory: true, JSONFile: dir + "/stats.json", HTMLFile: dir + "/report.html",
		PrintStats: true, OnlySummary: true, ResetStats: true, ShowTaskRatio: true, ExitCodeOnError: 2,
		LogLevel: slog.LevelWarn, LogFile: dir + "/herd.log", RequestTimeout: 5 * time.Second, MaxLateness: 10 * time.Second, ArrivalQuantum: 10 * time.Millisecond,
		UserClasses: []string{"WebUser", "ApiUser"}, WebPort: 8090, Autostart: true, Autoquit: 30,
		MasterBindPort: 5557, ExpectWorkers: 1, MasterHost: "127.0.0.1", MasterPort: 5557, MaxNames: 20000, MetricsPort: -1,
		ConfigFile: path,
	}
}

func TestConfigFileFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
	}{
		{"locust format", "locust.conf", locustConf},
		{"locust format any extension", "herd.ini", locustConf},
		{"toml top level", "herd.toml", tomlConf},
		{"toml upper-case extension", "herd.TOML", tomlConf},
		{"toml herd table", "herd.toml", "# TOML\n[herd]\n" + tomlConf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := writeFile(t, tt.file, strings.ReplaceAll(tt.content, "OUT", dir))
			got, err := load([]string{"--config", path}, env(nil))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if want := fullFileConfig(path, dir); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestTOMLValues(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "herd.toml", "users = 3\nspawn-rate = 2\nrun-time = 300\nweb-port = \"9000\"\nexclude-tags = [\"a\", 1]\n")
	got, err := load([]string{"--config", path}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Users != 3 || got.SpawnRate != 2 || got.RunTime != 5*time.Minute || got.WebPort != 9000 ||
		!reflect.DeepEqual(got.ExcludeTags, []string{"a", "1"}) {
		t.Errorf("got %+v", got)
	}
}

func TestConfigFileProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		want                []string // Problem.String() with "PATH" for the file path
	}{
		{"unknown key with line", "herd.conf", "users = 1\n\nuserz = 3\n",
			[]string{`config file PATH:3: unknown key "userz" (did you mean "users"?)`}},
		{"unknown key far off", "herd.conf", "# x\nfrobnicate = 1\n",
			[]string{`config file PATH:2: unknown key "frobnicate"; keys are the long option names shown by --help, such as users or spawn-rate`}},
		{"locust-only key", "herd.conf", "locustfile = locustfile.py\nheadful\n", []string{
			`config file PATH:2: unknown key "headful": a Locust option that herd does not support`}},
		{"short flag name is not a key", "herd.conf", "u = 1\n", []string{`config file PATH:1: unknown key "u"`}},
		{"help is not a key", "herd.conf", "help = true\n", []string{`config file PATH:1: unknown key "help"`}},
		{"config key", "herd.conf", "config = other.conf\n",
			[]string{`config file PATH:1: key "config" is not allowed in a config file`}},
		{"duplicate key", "herd.conf", "users = 1\nusers = 2\n",
			[]string{`config file PATH:2: key "users" sets users again (already set at line 1)`}},
		{"duplicate spelling", "herd.conf", "spawn-rate = 1\nspawn_rate = 2\n",
			[]string{`config file PATH:2: key "spawn_rate" sets spawn-rate again (already set at line 1)`}},
		{"bad value with line", "herd.conf", "users = 1\nrun-time = soon\n",
			[]string{`--run-time: "soon" is not a duration`, `(from config file PATH:2)`}},
		{"list for scalar", "herd.conf", "users = [1, 2]\n",
			[]string{`--users: takes a single value, got a list of 2 (from config file PATH:1)`}},
		{"syntax error", "herd.conf", "=\n", []string{`config file PATH:1: cannot parse "="`}},
		{"validation names file line", "herd.conf", "\nusers = -3\n",
			[]string{`--users: must not be negative, got -3 (from config file PATH:2)`}},
		{"toml syntax error", "herd.toml", "users = 1\nspawn-rate = = 2\n", []string{`config file PATH:2: invalid TOML`}},
		{"toml unknown key", "herd.toml", "users = 1\n\n[herd]\nuserz = 2\n",
			[]string{`config file PATH:4: unknown key "userz" (did you mean "users"?)`}},
		{"toml unknown table", "herd.toml", "users = 1\n[locust]\nusers = 2\n",
			[]string{`config file PATH:2: unknown table "locust"; put options at the top level or in a [herd] table`}},
		{"toml top level and table", "herd.toml", "users = 1\n[herd]\nusers = 2\n",
			[]string{`config file PATH:3: key "users" sets users again (already set at line 1)`}},
		{"toml bad type", "herd.toml", "users = 1979-05-27\n", []string{`config file PATH:1: key "users": values must be strings`}},
		{"toml nested list", "herd.toml", "tags = [[\"a\"]]\n", []string{`config file PATH:1: key "tags": lists may only hold`}},
		{"toml bad value", "herd.toml", "users = 1.5\n", []string{`--users: "1.5" is not a whole number (from config file PATH:1)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tt.file, tt.content)
			_, err := load([]string{"--config", path}, env(nil))
			ps := problemsOf(t, err)
			msg := err.Error()
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "PATH", path); !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if len(ps) != 1 && !strings.Contains(tt.name, "locust-only") {
				t.Errorf("want exactly one problem, got %d:\n%s", len(ps), msg)
			}
		})
	}
}

func TestConfigFileUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantSource string
		wantMsg    string
	}{
		{"missing via flag", []string{"--config", dir + "/nope.conf"}, nil, "flag --config", `config file "` + dir + `/nope.conf" does not exist`},
		{"missing via env", nil, map[string]string{"HERD_CONFIG": dir + "/nope.toml"}, "environment HERD_CONFIG", "does not exist"},
		{"directory", []string{"--config", dir}, nil, "flag --config", "cannot read config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Other problems are still reported alongside.
			args := append([]string{"-u", "-1"}, tt.args...)
			_, err := load(args, env(tt.env))
			ps := problemsOf(t, err)
			if len(ps) != 2 || ps[0].Field != "config" || ps[0].Source != tt.wantSource ||
				!strings.Contains(ps[0].Message, tt.wantMsg) || ps[1].Field != "users" {
				t.Errorf("got %#v", ps)
			}
		})
	}
}

func TestTOMLKeyLines(t *testing.T) {
	t.Parallel()
	got := tomlKeyLines("a = 1\n\"b\" = 2\n[herd]\n  a = 3\n['x']\n")
	want := map[string]int{"\x00a": 1, "\x00b": 2, "\x00herd": 3, "herd\x00a": 4, "\x00x": 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
