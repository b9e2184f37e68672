package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

func run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(ctx, herd.Env{Prog: "herd", Args: args, Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, herd.ExitConfig, "", "Usage:"},
		{[]string{"help"}, herd.ExitOK, "herd demo", ""},
		{[]string{"version"}, herd.ExitOK, "herd ", ""},
		{[]string{"bogus"}, herd.ExitConfig, "", `unknown command "bogus"`},
		{[]string{"demo", "--list"}, herd.ExitOK, "Shopper\nBrowser\n", ""},
		{[]string{"demo", "-u", "-1"}, herd.ExitConfig, "", "--users"},
		{[]string{"demo", "--headless", "-u", "2000000000", "-r", "1000000000", "-t", "5s"}, herd.ExitConfig, "", "too many users for this process"},
		{[]string{"serve-demo", "--addr", "0.0.0.0:0"}, herd.ExitConfig, "", "loopback"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(out, tt.inStdout) || !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("code %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
		})
	}
}

func TestDemoRunsALoadTest(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, context.Background(), "demo", "--headless", "-u", "10", "-r", "20", "-t", "3s", "--only-summary")
	if code != herd.ExitOK && code != herd.ExitFailures { // the demo shop fails 1% of requests
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, want := range []string{"POST     /api/login", "/api/products/{id}", "Aggregated"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestServeDemoStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out bytes.Buffer
	go func() {
		done <- Main(ctx, herd.Env{Args: []string{"serve-demo", "--addr", "127.0.0.1:0"}, Stdout: &out})
	}()
	cancel()
	select {
	case code := <-done:
		if code != herd.ExitOK {
			t.Errorf("code %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve-demo did not stop")
	}
}

// TestDemoDefaultsAreDefaults: herd demo's -u 20 -t 30s are defaults, below
// the config file and the environment (which are validated too).
func TestDemoDefaultsAreDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "herd.conf")
	if err := os.WriteFile(conf, []byte("users = 3\nspawn-rate = 100\nrun-time = \"1s\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, context.Background(), "demo", "--headless", "--config", conf, "--only-summary")
	if code != herd.ExitOK && code != herd.ExitFailures {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "with 3 users") || !strings.Contains(errOut, "run_time=1s") {
		t.Errorf("the config file did not win over the demo's defaults:\n%s\n%s", out, errOut)
	}
	var stdout, stderr bytes.Buffer
	code = Main(context.Background(), herd.Env{Prog: "herd", Args: []string{"demo", "--headless"}, Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return map[string]string{"HERD_USERS": "abc"}[k] }})
	if code != herd.ExitConfig || !strings.Contains(stderr.String(), "HERD_USERS") {
		t.Errorf("HERD_USERS=abc: code %d\n%s", code, stderr.String())
	}
}
