//go:build linux

package evloop

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// ConnHandler learns, on the loop's goroutine, how each exchange on a Conn
// ended. Exactly one of its methods is called per Send.
type ConnHandler interface {
	// Answered: the response is whole; c.P holds what was learned of it,
	// valid until the next Send. c is closed already when the response
	// did not let it be kept alive.
	Answered(c *Conn)
	// Failed: the exchange failed and c is closed. c.Answering tells
	// whether any of an answer came.
	Failed(c *Conn, err error)
}

// Conn is one client connection on a loop, carrying one exchange at a time
// (no pipelining). Its methods are called on the loop's goroutine only.
type Conn struct {
	P      Parser // the current exchange's response
	Served int    // exchanges answered on this connection so far
	Tag    int    // the owner's, e.g. which host the connection goes to

	l     *Loop
	fd    int
	slot  int32
	h     ConnHandler
	state connState
	out   []byte // the request being written (the caller's bytes)
	off   int
	in    []byte // read buffer: an unfinished head or line stays here
	n     int
	got   bool // any byte of the current answer arrived
	wrote bool // any byte of the current request left
	outEv bool // waiting for EPOLLOUT
}

type connState uint8

const (
	connecting connState = iota
	idle
	busy
	closed
)

// ErrHeadTooLarge is a head (or a chunk line) longer than the read buffer.
var ErrHeadTooLarge = errors.New("response headers too large")

// Dial starts connecting to addr without blocking; Send may be called at
// once (the request leaves when the connection is up). bufSize is the read
// buffer, which bounds a response's head. A connection refused at once is
// returned as an error, like one refused later is given to Failed.
func Dial(l *Loop, addr netip.AddrPort, h ConnHandler, bufSize int) (*Conn, error) {
	domain := syscall.AF_INET
	var sa syscall.Sockaddr
	if a := addr.Addr().Unmap(); a.Is4() {
		sa = &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		domain = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16()}
	}
	fd, err := syscall.Socket(domain, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, dialError(os.NewSyscallError("socket", err))
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	c := &Conn{l: l, fd: fd, h: h, in: make([]byte, bufSize)}
	switch err := syscall.Connect(fd, sa); err {
	case nil:
		c.state = idle
	case syscall.EINPROGRESS:
		c.state = connecting
	default:
		syscall.Close(fd)
		return nil, dialError(os.NewSyscallError("connect", err))
	}
	events := uint32(syscall.EPOLLIN)
	if c.state == connecting {
		events |= syscall.EPOLLOUT
		c.outEv = true
	}
	if c.slot, err = l.Add(fd, events, c); err != nil {
		syscall.Close(fd)
		return nil, dialError(os.NewSyscallError("epoll_ctl", err))
	}
	return c, nil
}

func dialError(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }

// Usable reports whether c can take a request now: it is up or coming up,
// and has no exchange in flight.
func (c *Conn) Usable() bool { return c.state == idle || c.state == connecting && c.out == nil }

// Connecting reports whether c is still being set up.
func (c *Conn) Connecting() bool { return c.state == connecting }

// Closed reports whether c was closed.
func (c *Conn) Closed() bool { return c.state == closed }

// Wrote reports whether any byte of the current request left.
func (c *Conn) Wrote() bool { return c.wrote }

// Answering reports whether any byte of the current answer arrived.
func (c *Conn) Answering() bool { return c.got }

// Send starts an exchange: req (kept, not copied, until the exchange ends)
// is written, and the answer read, HEAD's without a body when headOnly.
func (c *Conn) Send(req []byte, headOnly bool) {
	c.P.Reset(headOnly)
	c.out, c.off, c.got, c.wrote = req, 0, false, false
	if c.state == connecting {
		return
	}
	c.state = busy
	c.write()
}

// Close closes c; an exchange in flight is dropped without a call.
func (c *Conn) Close() {
	if c.state == closed {
		return
	}
	c.state = closed
	c.l.Remove(c.slot)
	syscall.Close(c.fd) // also takes it out of the epoll set
	c.out = nil
}

// Ready is the loop's call: c's socket is ready.
func (c *Conn) Ready(events uint32) {
	if c.state == connecting {
		if events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) == 0 {
			return
		}
		if e, err := syscall.GetsockoptInt(c.fd, syscall.SOL_SOCKET, syscall.SO_ERROR); err != nil || e != 0 {
			if err == nil {
				err = syscall.Errno(e)
			}
			c.fail(dialError(os.NewSyscallError("connect", err)))
			return
		}
		c.state = idle
		c.outEv = false
		if err := c.l.Modify(c.fd, c.slot, syscall.EPOLLIN); err != nil {
			c.fail(dialError(os.NewSyscallError("epoll_ctl", err)))
			return
		}
		if c.out != nil {
			c.state = busy
			c.write()
		}
		return
	}
	if events&syscall.EPOLLOUT != 0 && c.state == busy && c.off < len(c.out) {
		c.write()
		if c.state != busy {
			return
		}
	}
	if events&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		c.read()
	}
}

// write writes what is left of the request; a full socket buffer waits for
// EPOLLOUT.
func (c *Conn) write() {
	for c.off < len(c.out) {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(&c.out[c.off])), uintptr(len(c.out)-c.off))
		switch e {
		case 0:
			c.off += int(r)
			c.wrote = true
			continue
		case syscall.EAGAIN:
			if !c.outEv {
				c.outEv = true
				if err := c.l.Modify(c.fd, c.slot, syscall.EPOLLIN|syscall.EPOLLOUT); err != nil {
					c.fail(os.NewSyscallError("epoll_ctl", err))
				}
			}
			return
		case syscall.EINTR:
			continue
		default:
			c.fail(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", e)})
			return
		}
	}
	if c.outEv {
		c.outEv = false
		if err := c.l.Modify(c.fd, c.slot, syscall.EPOLLIN); err != nil {
			c.fail(os.NewSyscallError("epoll_ctl", err))
		}
	}
}

// read reads once and parses what came.
func (c *Conn) read() {
	if c.n == len(c.in) {
		c.fail(ErrHeadTooLarge)
		return
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(&c.in[c.n])), uintptr(len(c.in)-c.n))
	switch {
	case e == syscall.EAGAIN || e == syscall.EINTR:
		return
	case e != 0:
		c.fail(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", e)})
		return
	case r == 0:
		if c.state == busy && c.P.EOF() {
			c.Served++
			c.Close()
			c.h.Answered(c)
			return
		}
		c.fail(io.ErrUnexpectedEOF)
		return
	}
	if c.state != busy {
		// An idle connection has nothing to say: the server is closing it,
		// or broke the protocol. Either way it is not reused.
		c.Close()
		return
	}
	c.got = true
	c.n += int(r)
	used, err := c.P.Feed(c.in[:c.n])
	if err != nil {
		c.fail(err)
		return
	}
	if c.P.Done() {
		leftover := used < c.n
		c.n = 0
		c.Served++
		c.out = nil
		c.state = idle
		if leftover || !c.P.KeepAlive {
			c.Close() // bytes after the answer: the connection is out of step
		}
		c.h.Answered(c)
		return
	}
	c.n = copy(c.in, c.in[used:c.n])
}

// fail closes c and reports err for the exchange in flight, if any.
func (c *Conn) fail(err error) {
	busy := c.state == busy || c.state == connecting && c.out != nil
	c.Close()
	if busy {
		c.h.Failed(c, err)
	}
}
