package har

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/demo"
)

// module writes programs (directory → source) into a module of their own
// that requires herd from this repository (a replace directive), as a
// user's program would, and returns its directory and the environment to
// build it in.
func module(t *testing.T, progs map[string][]byte) (dir string, env []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds programs: not in -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module recorded\n\ngo 1.26\n\nrequire github.com/herdload/herd v0.0.0\n\nreplace github.com/herdload/herd => " + root + "\n"
	files := map[string][]byte{"go.mod": []byte(mod), "go.sum": sum}
	for d, src := range progs {
		files[filepath.Join(d, "main.go")] = src
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Everything comes from the module cache this repository's build filled.
	return dir, append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
}

// goCmd runs the go command in dir.
func goCmd(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
}

// buildProgram builds a generated program and returns the binary.
func buildProgram(t *testing.T, src []byte) string {
	t.Helper()
	dir, env := module(t, map[string][]byte{".": src})
	bin := filepath.Join(dir, "recorded")
	goCmd(t, dir, env, "build", "-o", bin, ".")
	return bin
}

// endpoint is a statistics row: method and name.
type endpoint struct{ Method, Name string }

// replayed returns the rows a generated program should produce.
func replayed(t *testing.T, h *HAR, o Options) []endpoint {
	t.Helper()
	var out []endpoint
	for _, r := range Replayed(h, o) {
		out = append(out, endpoint{r.Method, r.URL})
	}
	return out
}

// runAgainstDemo runs a built program with one user against a fresh demo
// shop (no latency, no errors) until the shop has answered as many
// requests as one pass over the recording makes, then interrupts it (a
// graceful stop that still writes reports) and returns its JSON report's
// rows.
func runAgainstDemo(t *testing.T, bin string, requests int) map[endpoint]uint64 {
	t.Helper()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	report := filepath.Join(t.TempDir(), "report.json")
	var out bytes.Buffer
	// -s: the interrupt below lets the task in flight finish, so the
	// request the shop is still answering then is not cut short.
	cmd := exec.Command(bin, "--headless", "-u", "1", "-t", "5m", "-s", "1m", "-H", srv.URL, "--json-file", report, "--only-summary")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	total := func() (n int) {
		for _, c := range srv.Requests() {
			n += int(c)
		}
		return n
	}
	for deadline := time.Now().Add(2 * time.Minute); total() < requests && time.Now().Before(deadline); {
		select {
		case err := <-waited:
			t.Fatalf("the program ended early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := total(); n < requests {
		t.Errorf("the shop saw %d requests, want at least %d", n, requests)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-waited:
		if err != nil {
			t.Logf("exit: %v", err)
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-waited
		t.Fatalf("the program did not stop on an interrupt\n%s", out.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var doc struct {
		Stats []struct {
			Method   string `json:"method"`
			Name     string `json:"name"`
			Requests uint64 `json:"num_requests"`
			Failures uint64 `json:"num_failures"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	rows := map[endpoint]uint64{}
	for _, s := range doc.Stats {
		rows[endpoint{s.Method, s.Name}] = s.Requests
		if s.Failures > 0 {
			t.Errorf("%s %s: %d failures\n%s", s.Method, s.Name, s.Failures, out.String())
		}
	}
	return rows
}

// checkReplayed checks that every replayed request of a recording appears
// in a run's statistics.
func checkReplayed(t *testing.T, h *HAR, rows map[endpoint]uint64) {
	t.Helper()
	want := replayed(t, h, Options{})
	for _, e := range want {
		if rows[e] == 0 {
			t.Errorf("%s %s: recorded, not in the run's statistics %v", e.Method, e.Name, rows)
		}
	}
}

// A generated program builds in a module of its own and, run against the
// demo shop, makes every request it replays.
func TestGeneratedProgramRuns(t *testing.T) {
	t.Parallel()
	h := decodeFile(t, "demo.har")
	src, err := Generate(h, Options{Source: "demo.har"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.go.golden", src)
	bin := buildProgram(t, src)
	rows := runAgainstDemo(t, bin, len(replayed(t, h, Options{})))
	checkReplayed(t, h, rows)
}

// The golden programs of the browser exports compile (go vet type-checks
// them without linking a binary each).
func TestGoldenProgramsCompile(t *testing.T) {
	t.Parallel()
	progs := map[string][]byte{}
	for _, name := range []string{"chromium.go.golden", "chromium-all.go.golden", "firefox.go.golden", "firefox-cdn.go.golden"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		progs[strings.TrimSuffix(name, ".go.golden")] = src
	}
	dir, env := module(t, progs)
	goCmd(t, dir, env, "vet", "./...")
}
