package transport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Real Locust for the interop tests: the Debian python3-locust package.
const (
	locustBin    = "/usr/bin/locust"
	locustPython = "/usr/bin/python3"
	// interopTimeout bounds each interop test, Locust processes included.
	interopTimeout = 60 * time.Second
)

// requireLocust skips the test when Locust 2.12.1 is not installed, unless
// HERD_E2E=required, in which case it fails.
func requireLocust(t *testing.T) {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("HERD_E2E=required but %s", why)
		}
		t.Skip(why)
	}
	if _, err := os.Stat(locustBin); err != nil {
		missing("Locust is not installed (" + locustBin + ")")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, locustPython, "-c", "import locust, zmq, msgpack").CombinedOutput(); err != nil {
		missing("the locust Python module is missing: " + string(out))
	}
}

// locustfile is the test's locustfile: one HttpUser with a trivial task
// against a port where nothing listens (requests fail fast).
const locustfile = `from locust import HttpUser, task, constant

class HelloUser(HttpUser):
    host = "http://127.0.0.1:1"
    wait_time = constant(0.2)

    @task
    def hello(self):
        self.client.get("/hello")
`

// writeLocustfile writes the locustfile into a temporary directory.
func writeLocustfile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "locustfile.py")
	if err := os.WriteFile(path, []byte(locustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer collects a process's output safely.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a running Locust.
type process struct {
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// startLocust runs locust with args under ctx; the test's cleanup kills it
// if it is still running and logs its output on failure.
func startLocust(t *testing.T, ctx context.Context, args ...string) *process {
	t.Helper()
	cmd := exec.CommandContext(ctx, locustBin, args...)
	p := &process{out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("locust output:\n%s", p.out.String())
		}
	})
	return p
}

// exitCode returns the exit code of a process that has exited, or -1 if
// it was killed or could not be waited for.
func (p *process) exitCode() int {
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && ee.Exited() {
		return ee.ExitCode()
	}
	return -1
}
