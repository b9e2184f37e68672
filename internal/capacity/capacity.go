// Package capacity tells, before a run starts its users, whether this
// process can hold them: it probes the memory the process may use and its
// open-file limit, and compares them with what the users will need.
package capacity

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Limits is what this process may use. A zero field is unknown, and is not
// checked.
type Limits struct {
	// Memory is the most memory the process may use: its cgroup's limit
	// or the machine's total, whichever is lower. Past it the kernel kills
	// the process.
	Memory int64
	// MemoryFrom names Memory's source, for messages.
	MemoryFrom string
	// Available is the memory free for the process to take now: the
	// machine's MemAvailable, or the room left under a cgroup limit
	// (reclaimable page cache counted as room) when lower.
	Available int64
	// Files and FilesMax are the soft and hard limits on open files
	// (RLIMIT_NOFILE). Go raises the soft limit to the hard one when a
	// program starts, so they are usually equal.
	Files, FilesMax uint64
}

// Need is what a run's users need in all.
type Need struct {
	Users  int
	Memory int64 // bytes
	Files  int64 // open files (a keep-alive connection is one)
}

// ErrTooMany is wrapped by the error of a check whose users cannot fit.
var ErrTooMany = errors.New("too many users for this process")

// warnAbove is the share of the available memory past which a run likely
// will not fit: the rest is the runtime's, the statistics' and the
// target's responses' (and other processes', which come and go).
const warnAbove = 0.8

// filesReserve is the open files the process needs besides its users':
// standard streams, listeners, the web UI's clients, CSV and log files.
const filesReserve = 32

// Probe reads this process's limits; what it cannot read stays zero. On
// other systems than Linux the memory is unknown, and on Windows the
// open-file limit too.
func Probe() Limits {
	l := probeMemory()
	l.Files, l.FilesMax = probeFiles()
	return l
}

// Check probes this process's limits and checks users needing bytesPerUser
// of memory and fdsPerUser open files each against them (see Limits.Check).
func Check(users int, bytesPerUser int64, fdsPerUser int) (warning string, err error) {
	return Probe().Check(Need{Users: users, Memory: mul(users, bytesPerUser), Files: mul(users, int64(fdsPerUser))})
}

// Check returns an error wrapping ErrTooMany when n cannot fit (more memory
// than the process may ever use), and a warning, saying what to do, when it
// likely will not (more than 80% of the memory available now, or more open
// files than the limit). Both are empty when n fits or the limits are
// unknown.
func (l Limits) Check(n Need) (warning string, err error) {
	if l.Memory > 0 && n.Memory > l.Memory {
		return "", fmt.Errorf("%w: %d users need about %s of memory, more than the %s this process may ever use (%s): lower -u/--users, or spread the users over more workers on other machines",
			ErrTooMany, n.Users, formatBytes(n.Memory), formatBytes(l.Memory), l.MemoryFrom)
	}
	var warns []string
	if l.Available > 0 && float64(n.Memory) > warnAbove*float64(l.Available) {
		warns = append(warns, fmt.Sprintf("%d users need about %s of memory, more than %.0f%% of the %s available now: the run may slow down or be killed; lower -u/--users, or spread the users over more workers on other machines",
			n.Users, formatBytes(n.Memory), warnAbove*100, formatBytes(l.Available)))
	}
	if files := uint64(max(n.Files, 0)) + filesReserve; n.Files > 0 && l.Files > 0 && files > l.Files {
		how := fmt.Sprintf("raise it (ulimit -n %d before starting herd)", files)
		if l.FilesMax > 0 && files > l.FilesMax {
			how = "raise the hard limit (ulimit -Hn as root, LimitNOFILE= in a systemd unit, nofile in /etc/security/limits.conf)"
		}
		warns = append(warns, fmt.Sprintf("%d users need about %d open files (one per keep-alive connection) but this process may open %d: %s, or spread the users over processes (--processes N) or more workers",
			n.Users, n.Files, l.Files, how))
	}
	return strings.Join(warns, "; "), nil
}

// mul is a×b, saturated at math.MaxInt64 (for a user count no machine
// holds); negative factors count as 0.
func mul(a int, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if int64(a) > math.MaxInt64/b {
		return math.MaxInt64
	}
	return int64(a) * b
}

// formatBytes writes n in binary units: "7.5 KiB", "14.0 TiB".
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}
