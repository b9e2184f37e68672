package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// caseWait bounds every wait of a case: a process's start or exit, a
// condition on the target. It is a deadline against hangs, never a budget
// the run must meet.
const caseWait = 90 * time.Second

const locustBin = "/usr/bin/locust"

// needLocust skips a test when Locust is missing, unless HERD_E2E=required.
func needLocust(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(locustBin); err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("HERD_E2E=required, but Locust is missing: %v", err)
		}
		t.Skipf("Locust is not installed (%v)", err)
	}
}

// waitFor polls cond until it holds, failing the test after caseWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(caseWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", caseWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// output is a process's stdout or stderr, safe to read while it runs.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// proc is a process of a case, in a process group of its own (with any
// children it starts, such as --processes workers), as if run from its own
// terminal.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr output
	done           chan struct{}
	err            error
}

// startProc runs name (for messages) as bin args with env added to a
// copy of this process's environment without its HERD_ and LOCUST_
// variables, so that neither the caller's settings nor ours leak in. The
// test's end kills the process group if it still runs, and logs the
// output when the test failed.
func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		// Children of the group (--processes workers) may outlive it.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() || testing.Verbose() && os.Getenv("HERD_E2E_LOGS") != "" {
			t.Logf("%s: %s\n--- stdout:\n%s\n--- stderr:\n%s", name, strings.Join(p.cmd.Args, " "), p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERD_") && !strings.HasPrefix(kv, "LOCUST_") {
			env = append(env, kv)
		}
	}
	return append(env, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
}

// startHerd runs the herd program (this test binary as a child).
func startHerd(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startProc(t, name, []string{childEnv + "=1"}, exe, args...)
}

// interrupt is Ctrl-C pressed once in p's terminal: SIGINT to its process
// group, so --processes workers get it too, as they would.
func (p *proc) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatalf("%s: SIGINT: %v", p.name, err)
	}
}

// terminate asks p to stop gracefully with SIGTERM, as a service manager
// would.
func (p *proc) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("%s: SIGTERM: %v", p.name, err)
	}
}

// kill ends p's process group at once and waits for p.
func (p *proc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode waits for p to end and returns its exit code.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	waitFor(t, p.name+" to exit", p.exited)
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// logged waits until p's stderr matches re, and returns the first
// submatch. It fails the test if p exits first.
func (p *proc) logged(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	var m []string
	waitFor(t, p.name+" to log "+re.String(), func() bool {
		if m = re.FindStringSubmatch(p.stderr.String()); m != nil {
			return true
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before logging %s", p.name, p.err, re)
		}
		return false
	})
	return m[1]
}
