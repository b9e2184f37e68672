package keys

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// term is a terminal in character mode, read with poll(2) beside a pipe
// that wakes the reader when the watch stops: a blocked read(2) on a
// terminal cannot be interrupted otherwise.
type term struct {
	fd           int
	old          *unix.Termios
	wakeR, wakeW int
}

// errStopped ends the reader once the watch stopped.
var errStopped = errors.New("keys: stopped")

// openTerm switches off canonical mode and echo, keeping output processing
// so that the live tables still print normally.
func openTerm(f *os.File) (*term, bool) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, false // not a terminal
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, false
	}
	t := *old
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, false
	}
	return &term{fd: fd, old: old, wakeR: p[0], wakeW: p[1]}, true
}

// read waits for keys or the wake-up; after the wake-up it returns
// errStopped.
func (t *term) read(buf []byte) (int, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}, {Fd: int32(t.wakeR), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, errStopped
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 && fds[0].Revents&unix.POLLIN == 0 {
			return 0, errStopped
		}
		n, err := unix.Read(t.fd, buf)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if n <= 0 && err == nil {
			return 0, errStopped // end of input
		}
		return max(n, 0), err
	}
}

func (t *term) wake() { unix.Write(t.wakeW, []byte{0}) }

// restore puts the terminal back as it was and releases the pipe.
func (t *term) restore() {
	_ = unix.IoctlSetTermios(t.fd, unix.TCSETS, t.old)
	unix.Close(t.wakeR)
	unix.Close(t.wakeW)
}
