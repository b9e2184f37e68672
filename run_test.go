package herd_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

var update = flag.Bool("update", false, "rewrite golden files")

// mainRun runs test as herd.Main would, in-process: an error is printed
// to env.Stderr, and the exit code returned.
func mainRun(test *herd.Test, ctx context.Context, env herd.Env) int {
	code, err := test.Run(ctx, env)
	if err != nil && env.Stderr != nil {
		prog := env.Prog
		if prog == "" {
			prog = "herd"
		}
		fmt.Fprintf(env.Stderr, "%s: %v\n", prog, err)
	}
	return code
}

// runTest runs test in-process and returns its exit code and output.
func runTest(t *testing.T, ctx context.Context, test *herd.Test, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainRun(test, ctx, herd.Env{Prog: "loadtest", Args: args, Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

type pinger struct{ herd.HTTPUser }

func (u *pinger) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "ping", Weight: 2, Tags: []string{"read"}, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/ping").Err()
		}},
		{Name: "write", Tags: []string{"write"}, Run: func(ctx context.Context) error {
			return u.Client.Post(ctx, "/write", herd.JSON(map[string]int{"n": 1})).Err()
		}},
		{Name: "admin", Set: &herd.TaskSet{Tasks: []herd.Task{
			{Name: "audit", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/audit").Err() }},
			{Name: "leave", Run: func(context.Context) error { return herd.ErrInterrupt }},
		}}},
	}
}

type quiet struct{}

func (quiet) Tasks() []herd.Task {
	return []herd.Task{{Name: "think", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "custom", "think", func(context.Context) (int64, error) { return 3, nil })
	}}}
}

func pingTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{
		{Name: "Pinger", Weight: 3, Wait: herd.Constant(10 * time.Millisecond), New: func() herd.User { return new(pinger) }},
		{Name: "Quiet", Wait: herd.Constant(10 * time.Millisecond), New: func() herd.User { return quiet{} }},
	}}
}

func okServer(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestListAndTaskRatio(t *testing.T) {
	t.Parallel()
	code, out, _ := runTest(t, context.Background(), pingTest(), "--list")
	if code != 0 || out != "Pinger\nQuiet\n" {
		t.Errorf("--list: code %d, output %q", code, out)
	}
	code, out, _ = runTest(t, context.Background(), pingTest(), "--show-task-ratio")
	if code != 0 {
		t.Fatalf("--show-task-ratio: code %d", code)
	}
	golden(t, "testdata/task_ratio.golden", out)
	code, out, _ = runTest(t, context.Background(), pingTest(), "--show-task-ratio", "-T", "write", "Pinger")
	if code != 0 || strings.Contains(out, "ping") || strings.Contains(out, "Quiet") || !strings.Contains(out, "write") {
		t.Errorf("--show-task-ratio with tags and a class: code %d\n%s", code, out)
	}
}

func TestBadConfigurationExitsWithCode2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		test *herd.Test
		args []string
		want string
	}{
		{"bad flags", pingTest(), []string{"-u", "x", "-r", "-1"}, "2 configuration problems"},
		{"unknown flag", pingTest(), []string{"--nope"}, "unknown flag"},
		{"unknown user type", pingTest(), []string{"--headless", "Nobody"}, `unknown user type "Nobody"`},
		{"tags match nothing", pingTest(), []string{"--headless", "-T", "nothing"}, "no task matches"},
		{"no host", pingTest(), []string{"--headless", "-t", "1s"}, "no host for user type Pinger"},
		{"no user types", &herd.Test{}, []string{"--headless"}, "declares no user types"},
		{"broken user type", &herd.Test{Users: []*herd.UserType{{Name: "X"}, {New: func() herd.User { return quiet{} }}}},
			[]string{"--headless"}, "no New function"},
		{"bad type host", &herd.Test{Users: []*herd.UserType{{Name: "X", Host: "shop.test", New: func() herd.User { return quiet{} }}}},
			[]string{"--headless"}, "neither an absolute URL"},
		{"HTTP type's host not http", &herd.Test{Users: []*herd.UserType{{Name: "X", Host: "localhost:80", New: func() herd.User { return new(pinger) }}}},
			[]string{"--headless"}, "user type X is an HTTP user (HTTPUser, FastHTTPUser): its host \"localhost:80\" is not an absolute http"},
		{"task without Run", &herd.Test{Users: []*herd.UserType{{Name: "X", New: func() herd.User { return emptyTask{} }}}},
			[]string{"--headless"}, "neither Run nor Set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runTest(t, context.Background(), tt.test, tt.args...)
			if code != herd.ExitConfig || !strings.Contains(errOut, tt.want) {
				t.Errorf("code %d, stderr:\n%s\nwant code 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

type emptyTask struct{}

func (emptyTask) Tasks() []herd.Task { return []herd.Task{{Name: "nothing"}} }

func TestHeadlessRunWritesEveryReport(t *testing.T) {
	t.Parallel()
	ts := okServer(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "run")
	jsonFile := filepath.Join(dir, "out.json")
	test := pingTest()
	var spawned, started, stopped atomic.Int64
	test.Events.OnSpawningComplete(func(n int) { spawned.Store(int64(n)) })
	test.Events.OnTestStart(func(context.Context) error { started.Add(1); return nil })
	test.Events.OnTestStop(func(context.Context) { stopped.Add(1) })
	// -s: the requests in flight at the end finish (killed, they would be
	// failures "interrupted at stop", and the run would exit 1).
	code, out, errOut := runTest(t, context.Background(), test, "--headless", "-u", "4", "-r", "50", "-t", "2500ms", "-s", "5s",
		"-H", ts.URL, "--csv", prefix, "--csv-full-history", "--json-file", jsonFile)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, errOut)
	}
	if spawned.Load() != 4 || started.Load() != 1 || stopped.Load() != 1 {
		t.Errorf("events: spawned %d, started %d, stopped %d", spawned.Load(), started.Load(), stopped.Load())
	}
	for _, want := range []string{"GET      /ping", "custom   think", "Aggregated", "Response time percentiles", "Summary: ran for"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	for _, suffix := range []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		rows := readCSV(t, prefix+suffix)
		if len(rows) == 0 {
			t.Errorf("%s is empty", suffix)
		}
	}
	stats := readCSV(t, prefix+"_stats.csv")
	if len(stats) != 6 || stats[5][1] != "Aggregated" {
		t.Errorf("_stats.csv rows = %v, want a header, 4 entries and the total", stats)
	}
	history := readCSV(t, prefix+"_stats_history.csv")
	if len(history) < 6 { // header, then 5 rows (4 entries + total) a second
		t.Errorf("history has %d rows", len(history))
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil || !bytes.Contains(data, []byte(`"name": "/ping"`)) {
		t.Errorf("JSON file: %v\n%s", err, data)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestInterruptStopsGracefullyWithReports(t *testing.T) {
	t.Parallel()
	ts := okServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	test := pingTest()
	var requests atomic.Int64
	test.Events.OnRequest(func(herd.Request) {
		if requests.Add(1) == 20 {
			cancel() // what the first Ctrl-C does
		}
	})
	// -s: a graceful stop lets the requests in flight finish (killed, they
	// would be failures "interrupted at stop", and the run would exit 1).
	code, out, errOut := runTest(t, ctx, test, "--headless", "-u", "2", "-r", "10", "-t", "1m", "-s", "5s", "-H", ts.URL, "--only-summary", "Pinger")
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, errOut)
	}
	// The cancel, not the 1 m run time, ended the test.
	if !strings.Contains(errOut, "reason=interrupted") {
		t.Errorf("did not stop on cancel:\n%s", errOut)
	}
	if !strings.Contains(out, "Summary") || strings.Contains(out, "custom") {
		t.Errorf("summary missing, or the unselected type ran:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	// stopper's user makes one request, then stops the test: its failure is
	// recorded whatever the machine's speed (the run time of a minute only
	// guards against a hang).
	stopper := func() *herd.Test {
		return &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(onePingThenStop) }}}}
	}
	t.Run("failures give --exit-code-on-error", func(t *testing.T) {
		t.Parallel()
		code, out, _ := runTest(t, context.Background(), stopper(), "--headless", "-t", "1m", "-H", failing.URL, "--exit-code-on-error", "7")
		if code != 7 || !strings.Contains(out, "HTTP 503 Service Unavailable") {
			t.Errorf("code %d, want 7\n%s", code, out)
		}
	})
	t.Run("a quitting listener sets the code", func(t *testing.T) {
		t.Parallel()
		test := stopper()
		test.Events.OnQuitting(func(q *herd.Quit) {
			if q.Stats.Total.FailRatio() > 0.5 {
				q.ExitCode = 42
			}
		})
		code, _, _ := runTest(t, context.Background(), test, "--headless", "-t", "1m", "-H", failing.URL)
		if code != 42 {
			t.Errorf("code %d, want 42", code)
		}
	})
	t.Run("a failing test start listener", func(t *testing.T) {
		t.Parallel()
		test := pingTest()
		test.Events.OnTestStart(func(context.Context) error { return errors.New("no fixtures") })
		code, _, errOut := runTest(t, context.Background(), test, "--headless", "-t", "1s", "Quiet")
		if code != herd.ExitInternal || !strings.Contains(errOut, "no fixtures") {
			t.Errorf("code %d\n%s", code, errOut)
		}
	})
	t.Run("an unwritable report", func(t *testing.T) {
		t.Parallel()
		// Found before the run (config.Load checks output paths), not after it.
		code, _, errOut := runTest(t, context.Background(), pingTest(), "--headless", "-t", "1s", "--json-file", filepath.Join(t.TempDir(), "no", "such", "dir.json"), "Quiet")
		if code != herd.ExitConfig || !strings.Contains(errOut, "--json-file") {
			t.Errorf("code %d\n%s", code, errOut)
		}
	})
	t.Run("a task stops the test early", func(t *testing.T) {
		t.Parallel()
		test := &herd.Test{Users: []*herd.UserType{{Name: "Stopper", New: func() herd.User { return stopTest{} }}}}
		// The task, not the 1 m run time, ended the test.
		code, _, errOut := runTest(t, context.Background(), test, "--headless", "-t", "1m")
		if code != 0 || !strings.Contains(errOut, `reason="a task stopped the test"`) {
			t.Errorf("code %d\n%s", code, errOut)
		}
	})
}

type stopTest struct{}

// onePingThenStop requests /ping once, then stops the test.
type onePingThenStop struct{ herd.HTTPUser }

func (u *onePingThenStop) Tasks() []herd.Task {
	return []herd.Task{{Name: "ping", Run: func(ctx context.Context) error {
		u.Client.Get(ctx, "/ping")
		return herd.ErrStopTest
	}}}
}

func (stopTest) Tasks() []herd.Task {
	return []herd.Task{{Run: func(context.Context) error { return herd.ErrStopTest }}}
}

func TestFallbackHostWhenNoHost(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{{Name: "Pinger", New: func() herd.User { return new(demoUser) }}}, FallbackHost: demo.FallbackHost}
	code, out, errOut := runTest(t, context.Background(), test, "--headless", "-u", "3", "-r", "10", "-t", "1500ms", "--exit-code-on-error", "0")
	if code != 0 || !strings.Contains(errOut, "no host given: testing the fallback target") || !strings.Contains(out, "/health") {
		t.Errorf("code %d\n%s\n%s", code, out, errOut)
	}
}

type demoUser struct{ herd.HTTPUser }

func (u *demoUser) Tasks() []herd.Task {
	return []herd.Task{{Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/health").Err() }}}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runTest(t, context.Background(), pingTest(), "--help")
	if code != 0 || !strings.Contains(out, "Usage: loadtest") || !strings.Contains(out, "  Pinger\n  Quiet") {
		t.Errorf("code %d\n%s", code, out)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestReadmeShowsCurrentHelp keeps the README's option list in step with
// --help: regenerate the block from `go run ./examples/quickstart --help`.
func TestReadmeShowsCurrentHelp(t *testing.T) {
	t.Parallel()
	_, out, _ := runTest(t, context.Background(), pingTest(), "--help")
	out, _, _ = strings.Cut(out, "\nUser types in this test")
	out = strings.Replace(out, "Usage: loadtest", "Usage: PROGRAM", 1)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "```\nUsage: PROGRAM", "```\n\n</details>"
	i, j := strings.Index(string(readme), start), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatal("README.md has no --help block")
	}
	if *update {
		fixed := string(readme[:i]) + "```\n" + out + string(readme[j:])
		if err := os.WriteFile("README.md", []byte(fixed), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(readme[i:j]) != "```\n"+out {
		t.Errorf("README.md does not hold the current --help output (go test -run TestReadme -update fixes it):\n%s", out)
	}
}

// TestConfigLayers runs with a config file and an environment variable:
// the environment wins over the file, and flags over both.
func TestConfigLayers(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "herd.conf")
	if err := os.WriteFile(conf, []byte("# Locust's format\nusers = 5\nspawn-rate = 100\nrun-time = 1s\nheadless = true\nonly-summary = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"file", nil, nil, 5},
		{"environment over file", map[string]string{"HERD_USERS": "3"}, nil, 3},
		{"flag over environment", map[string]string{"HERD_USERS": "3"}, []string{"-u", "2"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			test := pingTest()
			var spawned atomic.Int64
			test.Events.OnSpawningComplete(func(n int) { spawned.Store(int64(n)) })
			env := map[string]string{"HERD_CONFIG": conf}
			for k, v := range tt.env {
				env[k] = v
			}
			var stderr bytes.Buffer
			code := mainRun(test, context.Background(), herd.Env{
				Args:   append(tt.args, "Quiet"),
				Getenv: func(k string) string { return env[k] },
				Stderr: &stderr,
			})
			if code != 0 || spawned.Load() != int64(tt.want) {
				t.Errorf("code %d, %d users, want %d\n%s", code, spawned.Load(), tt.want, stderr.String())
			}
		})
	}
}
