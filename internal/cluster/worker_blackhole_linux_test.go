package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blackhole returns an endpoint on 127.0.0.1 whose connection attempts
// hang, as with a master behind a firewall that drops packets: a listener
// with a backlog of 0 that never accepts, its queue filled by one
// connection. Linux drops SYNs beyond a full accept queue; the test skips
// where it answers them.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	filler, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	probe, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		if probe != nil {
			probe.Close()
		}
		t.Skipf("a connection beyond a full accept queue did not hang: %v", err)
	}
	return "tcp://" + addr
}

// TestWorkerBlackholedMaster: a master whose packets are dropped is
// logged after the first attempt's bound (ReadyRetry), not after the
// system's connect timeout (about two minutes on Linux), and the worker
// gives up after ReadyTries attempts.
func TestWorkerBlackholedMaster(t *testing.T) {
	t.Parallel()
	master := blackhole(t)
	logs, logger := newLogs(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	err := RunWorker(ctx, WorkerOptions{Master: master, NodeID: "herd_1", Logger: logger,
		ReadyRetry: 200 * time.Millisecond, ReadyTries: 2}, newScriptedLocal("Shopper"))
	if ctx.Err() != nil {
		t.Fatalf("the worker waited %v without giving up: %v", testWait, err)
	}
	if n := logs.count("WARN cannot connect to the master", `master="`+master+`"`, `try="1/2"`, "i/o timeout"); n != 1 {
		t.Errorf("%d log lines for the first attempt's timeout, want 1", n)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "2 attempts in") {
		t.Errorf("the worker ended with %v, want the attempts' budget spent on timeouts", err)
	}
}
