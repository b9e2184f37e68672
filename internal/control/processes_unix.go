//go:build unix

package control

import (
	"os/exec"
	"syscall"
)

// ownGroup puts a --processes worker in a process group of its own, so a
// Ctrl-C in the terminal reaches only the master, which then stops the test
// and tells its workers to quit after their last report. Were the workers
// interrupted too, they would leave on their own and their last statistics
// could miss the final report.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
