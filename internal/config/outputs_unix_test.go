//go:build unix

package config

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestOutputPipe checks that checking a named pipe neither blocks (opening
// one for writing waits for a reader) nor fails.
func TestOutputPipe(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := load([]string{"--logfile", path, "--json-file", path}, env(nil)); err != nil {
		t.Errorf("Load: %v", err)
	}
}
