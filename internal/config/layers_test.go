package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDefaultsLayer checks the order of the five layers: built-in defaults <
// test program defaults < config file < environment < flags.
func TestDefaultsLayer(t *testing.T) {
	t.Parallel()
	demo := []string{"-u", "20", "-r", "10", "-t", "30s"}
	tests := []struct {
		name      string
		defaults  []string
		file      string
		env       map[string]string
		args      []string
		wantUsers int
		wantRun   time.Duration
		wantRate  float64
	}{
		{name: "built-in", wantUsers: 1, wantRate: 1},
		{name: "test program", defaults: demo, wantUsers: 20, wantRun: 30 * time.Second, wantRate: 10},
		{name: "file over test program", defaults: demo, file: "users = 3\nrun-time = 2s\n",
			wantUsers: 3, wantRun: 2 * time.Second, wantRate: 10},
		{name: "env over test program", defaults: demo, env: map[string]string{"HERD_USERS": "4", "HERD_RUN_TIME": "4"},
			wantUsers: 4, wantRun: 4 * time.Second, wantRate: 10},
		{name: "flags over test program", defaults: demo, args: []string{"-u", "5", "--run-time=5m"},
			wantUsers: 5, wantRun: 5 * time.Minute, wantRate: 10},
		{name: "env over file over test program", defaults: demo, file: "users = 3\nrun-time = 2s\n",
			env: map[string]string{"HERD_RUN_TIME": "1m"}, wantUsers: 3, wantRun: time.Minute, wantRate: 10},
		{name: "every layer", defaults: demo, file: "users = 3\nrun-time = 2s\nspawn-rate = 3\n",
			env: map[string]string{"HERD_USERS": "4", "HERD_RUN_TIME": "4s"}, args: []string{"-u", "5"},
			wantUsers: 5, wantRun: 4 * time.Second, wantRate: 3},
		{name: "test program names the config file", defaults: []string{"-u", "20", "--config", "FILE"},
			file: "users = 3\n", wantUsers: 3, wantRate: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args, defaults := tt.args, tt.defaults
			if tt.file != "" {
				path := writeFile(t, "herd.conf", tt.file)
				if i := indexOf(defaults, "FILE"); i >= 0 {
					defaults = append(append([]string(nil), defaults[:i]...), path)
				} else {
					args = append(append([]string(nil), args...), "--config", path)
				}
			}
			got, err := Load(Input{Args: args, Getenv: env(tt.env), Defaults: defaults})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Users != tt.wantUsers || got.RunTime != tt.wantRun || got.SpawnRate != tt.wantRate {
				t.Errorf("Users, RunTime, SpawnRate = %d, %v, %v; want %d, %v, %v",
					got.Users, got.RunTime, got.SpawnRate, tt.wantUsers, tt.wantRun, tt.wantRate)
			}
		})
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestDefaultsLayerLists checks list options and positional user classes in
// the test program's defaults: a higher layer replaces them whole.
func TestDefaultsLayerLists(t *testing.T) {
	t.Parallel()
	defaults := []string{"-T", "a", "-T", "b", "WebUser", "--threshold", "p95<1s"}
	got, err := Load(Input{Defaults: defaults})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Tags, want.UserClasses, want.Thresholds = []string{"a", "b"}, []string{"WebUser"}, mustThresholds("p95<1s")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	got, err = Load(Input{Defaults: defaults, Args: []string{"-T", "c", "APIUser"}, Getenv: env(map[string]string{"HERD_THRESHOLD": "p99<2s\np50<1s"})})
	if err != nil {
		t.Fatal(err)
	}
	want.Tags, want.UserClasses, want.Thresholds = []string{"c"}, []string{"APIUser"}, mustThresholds("p99<2s", "p50<1s")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestEveryLayerValidated checks that a bad value is reported even when a
// higher layer overrides it, naming its own source.
func TestEveryLayerValidated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		defaults []string
		file     string
		env      map[string]string
		args     []string
		want     []string // Problem.String(), "PATH" for the config file
	}{
		{name: "bad environment under a flag", env: map[string]string{"HERD_USERS": "abc"}, args: []string{"-u", "20"},
			want: []string{`--users: "abc" is not a whole number (from environment HERD_USERS)`}},
		{name: "negative environment under a flag", env: map[string]string{"HERD_USERS": "-5"}, args: []string{"-u", "20"},
			want: []string{`--users: must not be negative, got -5 (from environment HERD_USERS)`}},
		{name: "bad file under the environment", file: "run-time = soon\nweb-port = 70000\n",
			env: map[string]string{"HERD_RUN_TIME": "1m", "HERD_WEB_PORT": "8000"},
			want: []string{
				`--run-time: "soon" is not a duration; use a number of seconds (300) or a duration like 90s, 2m30s or 1h30m (units: h, m, s, ms) (from config file PATH:1)`,
				`--web-port: must be a port number between 0 and 65535 (0 picks a free one), got 70000 (from config file PATH:2)`,
			}},
		{name: "bad test program defaults under a flag", defaults: []string{"-u", "x", "-t", "-1m"}, args: []string{"-u", "2", "-t", "1m"},
			want: []string{
				`--users: "x" is not a whole number (from test program defaults)`,
				`--run-time: must not be negative, got -1m (use 0 to run until stopped) (from test program defaults)`,
			}},
		{name: "bad values in every layer", defaults: []string{"-u", "a"}, file: "users = b\n",
			env: map[string]string{"HERD_USERS": "c"}, args: []string{"-u", "d"},
			want: []string{
				`--users: "a" is not a whole number (from test program defaults)`,
				`--users: "b" is not a whole number (from config file PATH:1)`,
				`--users: "c" is not a whole number (from environment HERD_USERS)`,
				`--users: "d" is not a whole number (from the command line)`,
			}},
		{name: "bad shape under a flag", env: map[string]string{"HERD_SHAPE": "stages:1x"}, args: []string{"--shape", "stages:1m:10"},
			want: []string{`--shape: shape "stages:1x": stage 1: "1x" is not duration:users or duration:users:rate (from environment HERD_SHAPE)`}},
		{name: "bad threshold under a flag", file: "threshold = [p95<300]\n", args: []string{"--threshold", "p95<300ms"},
			want: []string{`--threshold: threshold "p95<300": response time "300" needs a unit (want e.g. 300ms or 300s) (from config file PATH:1)`}},
		{name: "unknown flag in test program defaults", defaults: []string{"--userz", "3"},
			want: []string{`test program defaults: unknown flag: --userz`}},
		{name: "help in test program defaults", defaults: []string{"-h"},
			want: []string{`test program defaults: -h/--help is not an option to default`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args, path := tt.args, ""
			if tt.file != "" {
				path = writeFile(t, "herd.conf", tt.file)
				args = append(append([]string(nil), args...), "--config", path)
			}
			_, err := Load(Input{Args: args, Getenv: env(tt.env), Defaults: tt.defaults})
			ps := problemsOf(t, err)
			var got []string
			for _, p := range ps {
				s := p.String()
				if path != "" {
					s = strings.ReplaceAll(s, path, "PATH")
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestGoodLowerLayerKept checks that a bad value in a higher layer leaves
// the field as the layers below set it.
func TestGoodLowerLayerKept(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Input{Defaults: []string{"-u", "20"}, Getenv: env(map[string]string{"HERD_USERS": "abc"})})
	problemsOf(t, err)
	if cfg.Users != 20 {
		t.Errorf("Users = %d, want 20 from the test program defaults", cfg.Users)
	}
}
