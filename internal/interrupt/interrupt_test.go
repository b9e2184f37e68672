package interrupt

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTwoSignals runs a child process: the first SIGINT cancels its
// context, the second exits it at once with ExitCode.
func TestTwoSignals(t *testing.T) {
	if os.Getenv("HERD_INTERRUPT_CHILD") == "1" {
		ctx, stop := Context(os.Stderr)
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("cancelled")
		select {} // only the second signal ends this
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTwoSignals$")
	cmd.Env = append(os.Environ(), "HERD_INTERRUPT_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(out)
	waitFor := func(want string) {
		t.Helper()
		for lines.Scan() {
			if strings.TrimSpace(lines.Text()) == want {
				return
			}
		}
		t.Fatalf("child never printed %q", want)
	}
	waitFor("ready")
	cmd.Process.Signal(syscall.SIGINT)
	waitFor("cancelled")
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != ExitCode {
		t.Errorf("child ended with %v, want exit code %d", err, ExitCode)
	}
}
