package cluster

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	blackholepkg "github.com/herdload/herd/internal/blackhole"
)

// blackhole returns an endpoint on 127.0.0.1 whose connection attempts
// hang, as with a master behind a firewall that drops packets.
func blackhole(t *testing.T) string {
	t.Helper()
	addr, _ := blackholepkg.Addr(t)
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
