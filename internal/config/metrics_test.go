package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsOptions: --metrics-port, --otlp-endpoint (with OpenTelemetry's
// standard variables below HERD_*) and --jsonl.
func TestMetricsOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		port     int
		endpoint string
		jsonl    string
	}{
		{name: "defaults", port: -1},
		{name: "a port", args: []string{"--metrics-port", "9646"}, port: 9646},
		{name: "a free port", args: []string{"--metrics-port=0"}, port: 0},
		{name: "endpoint without a path", args: []string{"--otlp-endpoint", "http://localhost:4318"}, port: -1,
			endpoint: "http://localhost:4318/v1/metrics"},
		{name: "endpoint with a slash", args: []string{"--otlp-endpoint", " https://c:4318/ "}, port: -1,
			endpoint: "https://c:4318/v1/metrics"},
		{name: "endpoint with a path", args: []string{"--otlp-endpoint", "http://c/otlp/v1/metrics"}, port: -1,
			endpoint: "http://c/otlp/v1/metrics"},
		{name: "standard variable", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318"}, port: -1,
			endpoint: "http://otel:4318/v1/metrics"},
		{name: "standard variable with a path", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://p:9090/api/v1/otlp/"},
			port: -1, endpoint: "http://p:9090/api/v1/otlp/v1/metrics"},
		{name: "the metrics variable first", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318",
			"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://b:4318/custom"}, port: -1, endpoint: "http://b:4318/custom"},
		{name: "HERD_ above the standard variables", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318",
			"HERD_OTLP_ENDPOINT": "http://h:4318"}, port: -1, endpoint: "http://h:4318/v1/metrics"},
		{name: "the flag above all", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318"},
			args: []string{"--otlp-endpoint", "http://f:1"}, port: -1, endpoint: "http://f:1/v1/metrics"},
		{name: "jsonl", args: []string{"--jsonl", filepath.Join(dir, "run.jsonl")}, port: -1,
			jsonl: filepath.Join(dir, "run.jsonl")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := load(tc.args, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MetricsPort != tc.port || cfg.OTLPEndpoint != tc.endpoint || cfg.JSONLFile != tc.jsonl {
				t.Errorf("port %d, endpoint %q, jsonl %q; want %d, %q, %q", cfg.MetricsPort, cfg.OTLPEndpoint,
					cfg.JSONLFile, tc.port, tc.endpoint, tc.jsonl)
			}
		})
	}
}

func TestMetricsOptionProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		source string
		want   string
	}{
		{"port too low", []string{"--metrics-port", "-2"}, nil, "flag --metrics-port", "or -1 for none"},
		{"port too high", []string{"--metrics-port", "70000"}, nil, "flag --metrics-port", "between 0 and 65535"},
		{"endpoint scheme", []string{"--otlp-endpoint", "grpc://c:4317"}, nil, "flag --otlp-endpoint", "http://localhost:4318"},
		{"endpoint from the environment", nil, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"},
			"environment OTEL_EXPORTER_OTLP_ENDPOINT", "does not start with http"},
		{"jsonl in a missing directory", []string{"--jsonl", "/nonexistent/dir/x.jsonl"}, nil, "flag --jsonl", "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(tc.args, env(tc.env))
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("got %v, want one problem", err)
			}
			if ps[0].Source != tc.source || !strings.Contains(ps[0].Message, tc.want) {
				t.Errorf("got %+v, want source %q and %q in the message", ps[0], tc.source, tc.want)
			}
		})
	}
}
