package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestTypedValues checks that --shape, --arrival-rate, --arrivals and
// --threshold are parsed once, in Load, from every layer.
func TestTypedValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want func(*Config)
	}{
		{name: "shape flag", args: []string{"--shape", " stages: 30 : 100 ,1m:0"},
			want: func(c *Config) { c.Shape = mustShape("stages:30s:100,1m:0") }},
		{name: "shape env", env: map[string]string{"HERD_SHAPE": "spike:peak=10,hold=1m"},
			want: func(c *Config) { c.Shape = mustShape("spike:peak=10,hold=1m") }},
		{name: "empty shape flag clears the file's", file: "shape = stages:1m:10\n", args: []string{"--shape", ""},
			want: func(*Config) {}},
		{name: "arrival rate", args: []string{"--arrival-rate", "1200/m", "--arrivals", "Poisson", "--max-users", "5"},
			want: func(c *Config) { c.ArrivalRate, c.Poisson, c.MaxUsers = mustRate("1200/m"), true, 5 }},
		{name: "arrival rate stages from the file", file: "arrival-rate = stages:30:100,1m:100\narrivals = uniform\n",
			want: func(c *Config) { c.ArrivalRate = mustRate("stages:30s:100,1m:100") }},
		{name: "arrivals blank is uniform", env: map[string]string{"HERD_ARRIVALS": " "}, want: func(*Config) {}},
		{name: "thresholds", args: []string{"--threshold", "p95<300ms", "--threshold", "GET /a, b: fail_ratio[30]<1%;abort"},
			want: func(c *Config) { c.Thresholds = mustThresholds("p95<300ms", "GET /a, b: fail_ratio[30s]<1%;abort") }},
		{name: "thresholds one per line in the environment", env: map[string]string{"HERD_THRESHOLD": "p95<1s\n\nrps>10\n"},
			want: func(c *Config) { c.Thresholds = mustThresholds("p95<1s", "rps>10") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			path := ""
			if tt.file != "" {
				path = writeFile(t, "herd.conf", tt.file)
				args = append(append([]string(nil), args...), "--config", path)
			}
			got, err := load(args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			want.ConfigFile = path
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestTypedValueProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string // Problem.String()
	}{
		{"bad shape", []string{"--shape", "stages:30s:1x0"},
			[]string{`--shape: shape "stages:30s:1x0": stage 1: bad user count "1x0" (from the command line)`}},
		{"bad arrival rate", []string{"--arrival-rate", "fast"},
			[]string{`--arrival-rate: rate "fast": bad rate "fast" (from the command line)`}},
		{"bad arrivals", []string{"--arrivals", "bursty"},
			[]string{`--arrivals: must be uniform or poisson, got "bursty" (from the command line)`}},
		{"every bad threshold", []string{"--threshold", "p95<3xx", "--threshold", "p95<1s", "--threshold", "p99[0]<1s"},
			[]string{
				`--threshold: threshold "p95<3xx": bad duration "3xx" (want e.g. 300ms, 1.5s) (from the command line)`,
				`--threshold: threshold "p99[0]<1s": window "0" too short (at least 1s) (from the command line)`,
			}},
		{"shape and arrival rate", []string{"--shape", "stages:1m:10", "--arrival-rate", "10"},
			[]string{`--shape: drives a user count, --arrival-rate an iteration rate: use one of them (from the command line)`}},
		{"max users without arrival rate", []string{"--max-users", "5"},
			[]string{`--max-users: is only meaningful together with --arrival-rate (from the command line)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := load(tt.args, env(nil))
			var got []string
			for _, p := range problemsOf(t, err) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.HasPrefix(tt.name, "bad") && (cfg.Shape != nil || cfg.ArrivalRate != nil || cfg.Poisson || cfg.Thresholds != nil) {
				t.Errorf("a bad value was stored: %+v", cfg)
			}
		})
	}
}
