//go:build unix

package cpu

import (
	"syscall"
	"time"
)

// processTime is the user plus system CPU time of the whole process.
func processTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
