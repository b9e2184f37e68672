//go:build linux

package evloop

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Handler gets a file descriptor's readiness, on the loop's goroutine.
type Handler interface {
	Ready(events uint32)
}

// Loop is one event loop. Start it with Start; it runs until Close.
type Loop struct {
	ep     int
	wakeFd int // an eventfd: Post's wake-up
	// handlers are indexed by the slot stored in each epoll event; slot 0
	// is the wake-up.
	handlers []Handler
	free     []int32
	timers   timerHeap
	now      time.Time // the clock as of the current wake-up, see Now

	mu     sync.Mutex
	posted []func()
	woken  bool // a wake-up is pending: Post need not write again
	closed bool
	run    []func() // posted, being run; swapped with posted
	done   chan struct{}
}

// Start creates a loop and runs it on a goroutine of its own. The caller
// owns it: Close stops it and waits for the goroutine.
func Start() (*Loop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("evloop: epoll_create1: %w", err)
	}
	r, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if e != 0 {
		syscall.Close(ep)
		return nil, fmt.Errorf("evloop: eventfd: %w", e)
	}
	l := &Loop{ep: ep, wakeFd: int(r), handlers: []Handler{nil}, done: make(chan struct{})}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 0}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, l.wakeFd, &ev); err != nil {
		syscall.Close(l.wakeFd)
		syscall.Close(ep)
		return nil, fmt.Errorf("evloop: epoll_ctl: %w", err)
	}
	go l.loop()
	return l, nil
}

// Post runs fn on the loop's goroutine, soon. It returns false, and fn never
// runs, when the loop is closed.
func (l *Loop) Post(fn func()) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.posted = append(l.posted, fn)
	wake := !l.woken
	l.woken = true
	l.mu.Unlock()
	if wake {
		l.wake()
	}
	return true
}

// Close stops the loop after the functions already posted ran, and waits
// for its goroutine. Handlers still registered are not told: their owners
// close them first. Close is idempotent.
func (l *Loop) Close() {
	l.mu.Lock()
	first := !l.closed
	l.closed = true
	l.mu.Unlock()
	if first {
		l.wake()
	}
	<-l.done
}

func (l *Loop) wake() {
	one := uint64(1)
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(l.wakeFd), uintptr(unsafe.Pointer(&one)), 8)
}

// Now is the time of the loop's current wake-up (read once per wake-up and
// after each completed exchange, see Tick): a clock read per request, as
// wrk's.
func (l *Loop) Now() time.Time { return l.now }

// Tick reads the clock again; the loop's Now is then the new reading.
func (l *Loop) Tick() time.Time {
	l.now = time.Now()
	return l.now
}

// Add registers fd for events with h, level-triggered.
func (l *Loop) Add(fd int, events uint32, h Handler) (slot int32, err error) {
	if n := len(l.free); n > 0 {
		slot = l.free[n-1]
		l.free = l.free[:n-1]
		l.handlers[slot] = h
	} else {
		slot = int32(len(l.handlers))
		l.handlers = append(l.handlers, h)
	}
	ev := syscall.EpollEvent{Events: events, Fd: slot}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.handlers[slot] = nil
		l.free = append(l.free, slot)
		return 0, err
	}
	return slot, nil
}

// Modify changes the events fd (registered as slot) waits for.
func (l *Loop) Modify(fd int, slot int32, events uint32) error {
	ev := syscall.EpollEvent{Events: events, Fd: slot}
	return syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_MOD, fd, &ev)
}

// Remove forgets slot; fd is removed from the set when it is closed, which
// the caller does right after.
func (l *Loop) Remove(slot int32) {
	l.handlers[slot] = nil
	l.free = append(l.free, slot)
}

// errClosed ends the loop.
var errClosed = errors.New("evloop: closed")

func (l *Loop) loop() {
	defer close(l.done)
	defer syscall.Close(l.ep)
	defer syscall.Close(l.wakeFd)
	events := make([]syscall.EpollEvent, 256)
	busy := false // the last wait found something: see below
	var yielded time.Time
	for {
		wait := -1
		if when, ok := l.timers.next(); ok {
			wait = int((time.Until(when) + time.Millisecond - 1) / time.Millisecond)
			wait = max(wait, 0)
		}
		// While requests flow, the loop waits with a raw system call that
		// keeps its thread and P (at most busyWait, then it yields, below):
		// a wait through the scheduler lets sysmon take the P away after
		// 20 µs and keeps sysmon waking every 20 µs, which cost ~10% more
		// CPU per request in a closed loop (docs/PERFORMANCE.md). Once a
		// busy wait finds nothing, the loop sleeps through the scheduler,
		// which hands its P to other goroutines, until events flow again.
		n := 0
		if busy {
			w := busyWait
			if wait >= 0 && wait < w {
				w = wait
			}
			r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(w), 0, 0)
			switch {
			case e == 0:
				n = int(r)
				busy = n > 0 || w == 0
			case e != syscall.EINTR:
				panic(fmt.Sprintf("evloop: epoll_pwait: %v", e)) // EBADF, EINVAL: a bug
			}
		} else {
			var err error
			n, err = syscall.EpollWait(l.ep, events, wait)
			if err != nil && err != syscall.EINTR {
				panic(fmt.Sprintf("evloop: epoll_wait: %v", err))
			}
			n = max(n, 0)
			busy = n > 0
		}
		l.now = time.Now()
		if l.now.Sub(yielded) >= yieldEvery {
			// Let the P's other goroutines run (the statistics' tick, the
			// users' goroutines, timers); cheap when there are none.
			runtime.Gosched()
			yielded = l.now
		}
		for _, ev := range events[:n] {
			if ev.Fd == 0 {
				if l.drain() == errClosed {
					return
				}
				continue
			}
			if h := l.handlers[ev.Fd]; h != nil {
				h.Ready(ev.Events)
			}
		}
		l.timers.expire(l)
	}
}

// busyWait (ms) bounds a raw wait; yieldEvery is how often a busy loop
// lets its P's other goroutines run.
const (
	busyWait   = 1
	yieldEvery = time.Millisecond
)

// drain runs what was posted.
func (l *Loop) drain() error {
	var b [8]byte
	syscall.RawSyscall(syscall.SYS_READ, uintptr(l.wakeFd), uintptr(unsafe.Pointer(&b[0])), 8)
	l.mu.Lock()
	l.run, l.posted = l.posted, l.run[:0]
	l.woken = false
	closed := l.closed
	l.mu.Unlock()
	for i, fn := range l.run {
		fn()
		l.run[i] = nil
	}
	if closed {
		l.mu.Lock()
		rest := l.posted
		l.posted = nil
		l.mu.Unlock()
		for _, fn := range rest {
			fn()
		}
		return errClosed
	}
	return nil
}
