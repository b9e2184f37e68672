//go:build unix

package capacity

import "syscall"

// probeFiles returns the soft and hard open-file limits (0 when unknown).
func probeFiles() (soft, hard uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0
	}
	return uint64(rl.Cur), uint64(rl.Max)
}
