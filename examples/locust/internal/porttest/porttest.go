// Package porttest helps the tests of the Locust example ports: a local
// target that answers every path the examples request and counts them, a
// run of a herd test in-process that returns its JSON report, and Locust's
// own --show-task-ratio of an example, to compare with herd's.
package porttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// Target is a local stand-in for the hosts Locust's examples test: Locust's
// own web UI ("/", "/stats/requests"), the quickstart's shop ("/hello",
// "/world", "/item", "/login", "/protected/resource") and a small copy of
// Locust's documentation under /en/latest/ (pages with internal links).
type Target struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int // "GET /path" → requests
}

// NewTarget starts a target on 127.0.0.1, closed when t ends.
func NewTarget(t testing.TB) *Target {
	tg := &Target{counts: map[string]int{}}
	tg.Server = httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(tg.Close)
	return tg
}

// Count is how many requests reached method and path.
func (tg *Target) Count(method, path string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.counts[method+" "+path]
}

// docPages are the documentation's pages: the index links to them, each
// links to the next two.
var docPages = []string{"what-is-locust.html", "installation.html", "quickstart.html", "writing-a-locustfile.html"}

func (tg *Target) serve(w http.ResponseWriter, r *http.Request) {
	tg.mu.Lock()
	tg.counts[r.Method+" "+r.URL.Path]++
	tg.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/" || p == "/hello" || p == "/world" || p == "/hello1" || p == "/hello2" || p == "/item" || strings.HasSuffix(p, "/favicon.ico"):
		io.WriteString(w, "ok")
	case p == "/stats/requests":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"stats":[],"total_rps":0}`)
	case p == "/login" && r.Method == http.MethodPost:
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s" + r.FormValue("username"), Path: "/"})
		io.WriteString(w, "welcome")
	case p == "/protected/resource":
		if _, err := r.Cookie("session"); err != nil {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "secret")
	case p == "/en/latest/":
		var b strings.Builder
		b.WriteString(`<html><body><div class="toctree-wrapper compound"><ul>`)
		for _, page := range docPages {
			fmt.Fprintf(&b, `<li class="toctree-l1"><a class="reference internal" href="%s">%s</a></li>`, page, page)
		}
		b.WriteString(`</ul></div><a class="reference external" href="https://locust.io">locust.io</a></body></html>`)
		io.WriteString(w, b.String())
	case strings.HasPrefix(p, "/en/latest/"):
		page := strings.TrimPrefix(p, "/en/latest/")
		for i, d := range docPages {
			if d == page {
				next, after := docPages[(i+1)%len(docPages)], docPages[(i+2)%len(docPages)]
				fmt.Fprintf(w, `<html><body><p>%s</p><a class="reference internal" href="%s">next</a> <a class="reference internal" href="%s#section">after</a></body></html>`, page, next, after)
				return
			}
		}
		http.NotFound(w, r)
	case strings.HasPrefix(p, "/archivist/v2/assets") && r.Method == http.MethodPost:
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			http.Error(w, `{"error":"unauthenticated"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"identity":"assets/1"}`)
	default:
		http.NotFound(w, r)
	}
}

// Report is the part of herd's JSON report the tests read.
type Report struct {
	Stats    []Entry `json:"stats"`
	Failures []struct {
		Method      string `json:"method"`
		Name        string `json:"name"`
		Error       string `json:"error"`
		Occurrences int    `json:"occurrences"`
	} `json:"failures"`
	Errors []struct {
		Count   int    `json:"count"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Entry is one row of the statistics.
type Entry struct {
	Method   string `json:"method"`
	Name     string `json:"name"`
	Requests int    `json:"num_requests"`
	Failures int    `json:"num_failures"`
}

// Entry returns the row of method and name, zero when there is none.
func (r *Report) Entry(method, name string) Entry {
	for _, e := range r.Stats {
		if e.Method == method && e.Name == name {
			return e
		}
	}
	return Entry{}
}

// Names lists the rows as "METHOD name", in the report's order.
func (r *Report) Names() []string {
	names := make([]string, len(r.Stats))
	for i, e := range r.Stats {
		names[i] = e.Method + " " + e.Name
	}
	return names
}

// FailureCount sums the occurrences of the failures of method and name
// whose error contains msg.
func (r *Report) FailureCount(method, name, msg string) int {
	n := 0
	for _, f := range r.Failures {
		if f.Method == method && f.Name == name && strings.Contains(f.Error, msg) {
			n += f.Occurrences
		}
	}
	return n
}

// Result is what a run gave.
type Result struct {
	Code   int
	Report Report
	Stderr string
}

// hang bounds a run past its -t: a guard against hangs, not a budget.
const hang = time.Minute

// Run runs test in-process, headless, with args (which should bound it
// with -t) and the JSON report on its standard output.
func Run(t testing.TB, test *herd.Test, args ...string) Result {
	t.Helper()
	return run(context.Background(), t, test, args)
}

// RunUntil is Run that stops the test (gracefully, as at the end of its
// run time) once each name in atLeast ("GET /item") has been requested as
// many times as it says: a test of randomly picked tasks then sees what it
// checks however slowly a loaded machine runs. args' -t is the backstop.
func RunUntil(t testing.TB, test *herd.Test, atLeast map[string]int, args ...string) Result {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var mu sync.Mutex
	left := maps.Clone(atLeast)
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		defer mu.Unlock()
		name := r.Kind + " " + r.Name
		if n, ok := left[name]; ok {
			if n <= 1 {
				delete(left, name)
			} else {
				left[name] = n - 1
			}
		}
		if len(left) == 0 {
			stop()
		}
	})
	return run(ctx, t, test, args)
}

func run(parent context.Context, t testing.TB, test *herd.Test, args []string) Result {
	t.Helper()
	var stdout bytes.Buffer
	stderr := new(Buffer)
	args = append([]string{"--headless", "--json", "--only-summary"}, args...)
	ctx, cancel := context.WithTimeout(parent, hang)
	defer cancel()
	code, err := test.Run(ctx, herd.Env{Prog: "port", Args: args, Stdout: &stdout, Stderr: stderr})
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Fatalf("the run did not end in %v\n%s", hang, stderr)
	}
	if err != nil {
		t.Fatalf("run: %v (exit code %d)\n%s", err, code, stderr)
	}
	res := Result{Code: code, Stderr: stderr.String()}
	if err := json.Unmarshal(stdout.Bytes(), &res.Report); err != nil {
		t.Fatalf("the JSON report: %v\n%s\n%s", err, stdout.String(), res.Stderr)
	}
	return res
}

// Buffer collects a run's output; it is safe for concurrent writes (a
// master's and its workers' logs).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TaskRatio is herd's --show-task-ratio of test, trailing spaces trimmed.
func TaskRatio(t testing.TB, test *herd.Test) string {
	t.Helper()
	var out bytes.Buffer
	code, err := test.Run(context.Background(), herd.Env{Args: []string{"--show-task-ratio"}, Stdout: &out, Stderr: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("--show-task-ratio: exit code %d, %v", code, err)
	}
	return trimLines(out.String())
}

// ExamplesDir is where Debian's python3-locust puts Locust's examples.
const ExamplesDir = "/usr/share/doc/python3-locust/examples"

// LocustTaskRatio is `locust -f <example> --show-task-ratio` for one of
// Locust's own examples, trailing spaces trimmed. The test is skipped when
// Locust is missing, unless HERD_E2E=required. stubs are modules the
// example imports that are not installed (pyquery, archivist.archivist):
// empty stand-ins are made for them, enough for an import.
func LocustTaskRatio(t testing.TB, example string, stubs ...string) string {
	t.Helper()
	const locust = "/usr/bin/locust"
	file := filepath.Join(ExamplesDir, example)
	for _, p := range []string{locust, file} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("HERD_E2E") == "required" {
				t.Fatalf("Locust and its examples are required (apt-get install python3-locust): %v", err)
			}
			t.Skipf("Locust or its example missing (python3-locust): %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	cmd := exec.CommandContext(ctx, locust, "-f", file, "--show-task-ratio")
	cmd.Dir = t.TempDir() // no locust.conf of the working directory's
	if len(stubs) > 0 {
		dir := t.TempDir()
		for _, m := range stubs {
			parts := strings.Split(m, ".")
			for i := range parts {
				path := filepath.Join(append([]string{dir}, parts[:i+1]...)...)
				if i < len(parts)-1 {
					os.MkdirAll(path, 0o755)
					path = filepath.Join(path, "__init__")
				}
				// Any name imported from a stub is a class that does nothing.
				stub := "def __getattr__(name):\n    return type(name, (), {})\n"
				if err := os.WriteFile(path+".py", []byte(stub), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("locust --show-task-ratio: %v\n%s", err, stderr.String())
	}
	return trimLines(string(out))
}

// trimLines drops trailing spaces and blank lines around the text.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
