package cluster

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// TestMasterToken: a master with a token registers herd workers that
// present it; a herd worker with another token and a peer without one (a
// Locust worker, or anyone) are disconnected after their handshake, and
// what they sent is never read: they never register.
func TestMasterToken(t *testing.T) {
	t.Parallel()
	logs, logger := newLogs(t)
	m, ep := fastMaster(t, MasterOptions{Logger: logger, Classes: []Class{{Name: "Shopper", Weight: 1}},
		Token: "s3cret"})

	// A peer without a token sends client_ready right after its handshake.
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := zmtpHandshake(nc, "DEALER", "locust_1"); err != nil {
		t.Fatal(err)
	}
	ready, err := wire.EncodePayload("locust_1", wire.ClientReadyVersion("2.12.1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(zmtpFrame(ready, false)); err != nil {
		t.Fatal(err)
	}

	wrong, _ := runWorker(t, ep, "wrong_1", newScriptedLocal("Shopper"),
		WorkerOptions{Token: "guess", ReadyTries: 1, ReadyRetry: 300 * time.Millisecond})
	local := newScriptedLocal("Shopper")
	right, _ := runWorker(t, ep, "right_1", local, WorkerOptions{Token: "s3cret"})
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := awaitClosed(nc); err != nil {
		t.Error(err)
	}
	if err := workerErr(t, wrong); err == nil || !strings.Contains(err.Error(), "never acknowledged") {
		t.Errorf("the worker with a wrong token ended with %v", err)
	}
	startAndWait(t, m, 2)
	var ids []string
	for _, w := range m.Workers() {
		ids = append(ids, w.ID)
	}
	if !slices.Equal(ids, []string{"right_1"}) || local.users() != 2 {
		t.Errorf("workers %q, the right one runs %d users", ids, local.users())
	}
	if logs.count("wrong token") == 0 {
		t.Error("no warning about the wrong token")
	}
	m.Stop(time.Second)
	m.Quit(testWait)
	if err := workerErr(t, right); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}
