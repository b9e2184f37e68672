package report

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// locustBin is the reference implementation the CSV files follow.
const locustBin = "/usr/bin/locust"

// requireTool skips the test when path is missing, or fails it when the
// environment variable HERD_E2E is "required".
func requireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("HERD_E2E=required but %s is unusable: %v", path, err)
		}
		t.Skipf("%s not available: %v", path, err)
	}
}

// isolatedEnv is the environment minus anything that configures Locust, with
// HOME in dir so that no ~/.locust.conf is read.
func isolatedEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LOCUST_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "PYTHONDONTWRITEBYTECODE=1")
}

// A user that does nothing: no request leaves the machine (the host is a
// closed port on the loopback interface and is never contacted).
const idleLocustfile = `from locust import User, task, constant


class Idle(User):
    host = "http://127.0.0.1:1"
    wait_time = constant(1)

    @task
    def idle(self):
        pass
`

// TestCSVHeadersMatchLocust runs Locust 2.12.1 for real and checks that the
// first line of each of its four CSV files, terminator included, is what
// herd writes.
func TestCSVHeadersMatchLocust(t *testing.T) {
	t.Parallel()
	requireTool(t, locustBin)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "locustfile.py"), []byte(idleLocustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, locustBin, "-f", "locustfile.py", "--headless",
		"-u", "1", "-r", "1", "-t", "3s", "--host", "http://127.0.0.1:1",
		"--csv", "locust", "--only-summary")
	cmd.Dir = dir
	cmd.Env = isolatedEnv(dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}

	empty := &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	for suffix, write := range map[string]func(io.Writer) error{
		statsSuffix:      func(w io.Writer) error { return WriteStatsCSV(w, empty) },
		historySuffix:    WriteHistoryHeader,
		failuresSuffix:   func(w io.Writer) error { return WriteFailuresCSV(w, empty) },
		exceptionsSuffix: func(w io.Writer) error { return WriteExceptionsCSV(w, empty) },
	} {
		theirs := firstLine(t, filepath.Join(dir, "locust"+suffix))
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		ours, _, _ := strings.Cut(b.String(), "\n")
		if ours+"\n" != theirs {
			t.Errorf("%s header:\n ours:   %q\n locust: %q", suffix, ours+"\n", theirs)
		}
	}
}

// firstLine returns the first line of a file, "\n" included.
func firstLine(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return line
}

// TestCSVQuotingMatchesPython has Python's csv module (which Locust uses)
// read herd's CSV files of the test fixture and write them back: the bytes
// must not change.
func TestCSVQuotingMatchesPython(t *testing.T) {
	t.Parallel()
	const python = "/usr/bin/python3"
	requireTool(t, python)
	const script = `import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
csv.writer(sys.stdout).writerows(rows)
`
	for name, write := range map[string]func(io.Writer, *stats.Snapshot) error{
		"stats":      WriteStatsCSV,
		"failures":   WriteFailuresCSV,
		"exceptions": WriteExceptionsCSV,
		"history": func(w io.Writer, _ *stats.Snapshot) error {
			if err := WriteHistoryHeader(w); err != nil {
				return err
			}
			return WriteHistoryRows(w, fixtureHistory())
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var ours bytes.Buffer
			if err := write(&ours, fixture()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name+".csv")
			if err := os.WriteFile(path, ours.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "-c", script, path)
			cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			theirs, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.Bytes())
			}
			if !bytes.Equal(theirs, ours.Bytes()) {
				t.Errorf("Python rewrites %s as:\n%q\nours:\n%q", name, theirs, ours.Bytes())
			}
		})
	}
}
