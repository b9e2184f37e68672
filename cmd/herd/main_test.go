package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildHerd compiles this command into a temporary directory.
func buildHerd(t *testing.T) (string, error) {
	bin := filepath.Join(t.TempDir(), "herd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
}

// TestInterruptWritesReports sends SIGINT to a real herd process mid-run:
// it must stop at once, print the summary and leave complete CSV files.
func TestInterruptWritesReports(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	prefix := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, "demo", "--headless", "-u", "10", "-r", "50", "-t", "10m", "--csv", prefix, "--exit-code-on-error", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer kill.Stop()

	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() { // the first live table has been printed
		out.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "Aggregated") {
			break
		}
	}
	began := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herd: %v\n%s", err, stderr.String())
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("stopping took %v", took)
	}
	if !strings.Contains(out.String(), "Summary: ran for") || !strings.Contains(out.String(), "Response time percentiles") {
		t.Errorf("no summary after SIGINT:\n%s", out.String())
	}
	for _, f := range []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		data, err := os.ReadFile(prefix + f)
		if err != nil || !bytes.HasSuffix(data, []byte("\r\n")) {
			t.Errorf("%s: %v (%d bytes)", f, err, len(data))
		}
	}
	stats, _ := os.ReadFile(prefix + "_stats.csv")
	if !bytes.Contains(stats, []byte("/api/login")) {
		t.Errorf("_stats.csv has no rows:\n%s", stats)
	}
}
