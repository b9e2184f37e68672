//go:build unix

package herd

// What an idle FastSession costs: sessions that each made one request and
// keep their connection, as users waiting between requests do.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// BenchmarkFastSessionIdle creates idleSessions FastSessions (fewer when the
// open-file limit is low), makes one request with each, and reports what
// they keep once idle, per session: live heap (after garbage collection),
// goroutine stacks and goroutines. The target runs in a child process (this
// test binary, see TestIdleServerProcess), so its connections count in
// neither figure. ns/op is the time of one whole round, not a request's.
//
// "sessions" drives every session from the benchmark's goroutine: the
// session's own cost. "users" drives each from a goroutine of its own that
// then waits, as an idle user does, so the figures add that goroutine and
// the stack its request grew. Garbage collection shrinks idle stacks, which
// idle users seldom trigger: GODEBUG=gcshrinkstackoff=1 shows them unshrunk.
func BenchmarkFastSessionIdle(b *testing.B) {
	b.Run("sessions", func(b *testing.B) { benchIdle(b, false) })
	b.Run("users", func(b *testing.B) { benchIdle(b, true) })
}

func benchIdle(b *testing.B, users bool) {
	n := idleSessions
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < uint64(n)+200 {
		n = int(lim.Cur) - 200
	}
	if n < 100 {
		b.Skipf("open-file limit %d too low", lim.Cur)
	}
	url := idleServer(b)
	_, env, _ := sessionEnv(b, url, 0)
	sessions := make([]*FastSession, n)
	// Each session belongs to a user of its own, whose context it watches,
	// as in a run; the users' own cost is BenchmarkIdleUserMemory's.
	lives := make([]context.Context, n)
	for i := range lives {
		life, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		e := *env
		e.ctx = life
		lives[i] = context.WithValue(life, envKey{}, &e)
	}
	for b.Loop() {
		before := idleMemory()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range sessions {
			ctx := lives[i]
			s := newFastSession(envFrom(ctx))
			sessions[i] = s
			if !users {
				if r := s.Get(ctx, "/"); r.Err() != nil {
					b.Fatalf("session %d: %v", i, r.Err())
				}
				continue
			}
			done := make(chan error, 1)
			wg.Go(func() {
				done <- s.Get(ctx, "/").Err()
				<-stop
			})
			if err := <-done; err != nil {
				b.Fatalf("user %d: %v", i, err)
			}
		}
		after := idleMemory()
		close(stop)
		wg.Wait()
		runtime.KeepAlive(sessions)
		b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/session")
		b.ReportMetric(float64(after.stack-before.stack)/float64(n), "stack-B/session")
		b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/session")
		for i, s := range sessions {
			s.Close()
			sessions[i] = nil
		}
	}
	b.ReportMetric(float64(n), "sessions")
}

// idleSessions is how many sessions BenchmarkFastSessionIdle keeps at once.
const idleSessions = 10_000

type idleFigures struct {
	heap, stack uint64
	goroutines  int
}

// idleMemory is the live heap, the stacks in use and the goroutines, once
// garbage (and sync.Pool contents, after two cycles) is gone.
func idleMemory() idleFigures {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return idleFigures{heap: m.HeapAlloc, stack: m.StackInuse, goroutines: runtime.NumGoroutine()}
}

// idleServer starts TestIdleServerProcess in a child process and returns
// its URL; the child ends when the benchmark does (its stdin closes).
func idleServer(b *testing.B) string {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestIdleServerProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "HERD_IDLE_SERVER=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		b.Fatalf("the server process said %q: %v", line, err)
	}
	return "http://" + addr
}

// TestIdleServerProcess is BenchmarkFastSessionIdle's target when run as its
// child process (HERD_IDLE_SERVER=1); otherwise it does nothing. It answers
// every request with benchBody on loopback, and exits when stdin closes.
func TestIdleServerProcess(t *testing.T) {
	if os.Getenv("HERD_IDLE_SERVER") != "1" {
		t.Skip("only BenchmarkFastSessionIdle's child process serves")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("listening on " + ln.Addr().String())
	response := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(benchBody)) + "\r\n\r\n" + benchBody)
	var mu sync.Mutex
	var conns []net.Conn // kept, so they stay open until the end
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go serveCanned(c, response)
		}
	}()
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
