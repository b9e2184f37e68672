//go:build linux

// Command epollfloor is an experiment, not a load generator: the least CPU
// per request a Go client can spend on bench/target's closed loop, to
// compare with wrk. One locked thread, one epoll set over -c keep-alive
// connections (level-triggered, registered once), non-blocking read and
// write through syscall.RawSyscall (no scheduler hand-off around them), the
// request's bytes built once, a response complete when its Content-Length
// body is in, and a clock read per request for its latency, as wrk's.
// It has none of a herd user: no tasks, no statistics, no cookies or
// redirects, one request shape. It prints "N requests in D".
//
//	epollfloor -c 50 -d 5s http://127.0.0.1:PORT/
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

type conn struct {
	fd   int
	buf  []byte
	n    int
	sent time.Time
}

func main() {
	c := flag.Int("c", 50, "connections")
	d := flag.Duration("d", 5*time.Second, "duration")
	flag.Parse()
	if err := run(flag.Arg(0), *c, *d); err != nil {
		fmt.Fprintln(os.Stderr, "epollfloor:", err)
		os.Exit(1)
	}
}

func run(target string, n int, d time.Duration) error {
	runtime.LockOSThread()
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("want http://127.0.0.1:PORT/, got %q", target)
	}
	req := []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: fasthttp\r\n\r\n")

	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	conns := make([]*conn, n)
	for i := range conns {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		if err := syscall.SetNonblock(fd, true); err != nil {
			return err
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return err
		}
		conns[i] = &conn{fd: fd, buf: make([]byte, 4096)}
	}
	for _, cn := range conns {
		if err := send(cn, req); err != nil {
			return err
		}
	}
	var done int
	var lat time.Duration
	events := make([]syscall.EpollEvent, 64)
	start := time.Now()
	end := start.Add(d)
	for {
		k, err := syscall.EpollWait(ep, events, 100)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		now := time.Now()
		if now.After(end) {
			break
		}
		for _, ev := range events[:k] {
			cn := conns[ev.Fd]
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(cn.fd), uintptr(unsafe.Pointer(&cn.buf[cn.n])), uintptr(len(cn.buf)-cn.n))
			if e == syscall.EAGAIN {
				continue
			}
			if e != 0 || r == 0 {
				return fmt.Errorf("read: %v (%d bytes)", e, r)
			}
			cn.n += int(r)
			if !complete(cn.buf[:cn.n]) {
				continue
			}
			cn.n = 0
			done++
			lat += now.Sub(cn.sent)
			if err := send(cn, req); err != nil {
				return err
			}
		}
	}
	el := time.Since(start)
	_ = lat
	fmt.Printf("%d requests in %.2fs\n", done, el.Seconds())
	return nil
}

// send writes req whole (it fits a socket buffer) and stamps the time.
func send(cn *conn, req []byte) error {
	cn.sent = time.Now()
	_, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(cn.fd), uintptr(unsafe.Pointer(&req[0])), uintptr(len(req)))
	if e != 0 {
		return fmt.Errorf("write: %v", e)
	}
	return nil
}

var crlf2 = []byte("\r\n\r\n")

// complete reports whether b holds a whole response with a Content-Length
// body (what bench/target sends).
func complete(b []byte) bool {
	h := bytes.Index(b, crlf2)
	if h < 0 {
		return false
	}
	i := bytes.Index(b[:h], []byte("Content-Length: "))
	if i < 0 {
		return true
	}
	j := i + len("Content-Length: ")
	k := bytes.IndexByte(b[j:h+2], '\r')
	cl, err := strconv.Atoi(string(b[j : j+k]))
	if err != nil {
		return true
	}
	return len(b) >= h+4+cl
}
