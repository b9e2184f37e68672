package transport

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// TestInteropLocustWorker drives a real Locust 2.12.1 worker from a Router
// acting as master: client_ready, ack, spawn of one user, then the worker's
// spawning, spawning_complete, stats and heartbeats, then quit and exit.
func TestInteropLocustWorker(t *testing.T) {
	requireLocust(t)
	// Parallel: it waits on Locust, and runs after the sequential tests,
	// whose goroutine counts (checkNoLeak) it would skew.
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	r, err := ListenRouter(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	worker := startLocust(t, ctx, "-f", writeLocustfile(t), "--worker",
		"--master-host", "127.0.0.1", "--master-port", fmt.Sprint(r.Port()))

	next := func() (string, wire.Message, wire.Payload) {
		t.Helper()
		id, frame, err := r.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv: %v (worker exited: %v)", err, worker.err)
		}
		m, err := wire.Decode(frame)
		if err != nil {
			t.Fatalf("undecodable frame from the worker: %v", err)
		}
		p, err := wire.DecodePayload(m)
		if err != nil {
			t.Fatalf("%s from the worker: %v", m.Type, err)
		}
		if m.NodeID != id {
			t.Errorf("%s: node_id %q differs from the routing identity %q", m.Type, m.NodeID, id)
		}
		return id, m, p
	}
	reply := func(id string, p wire.Payload) {
		t.Helper()
		frame, err := wire.EncodePayload(id, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.SendTo(id, frame); err != nil {
			t.Fatal(err)
		}
	}

	id, m, p := next()
	ready, ok := p.(wire.ClientReady)
	if m.Type != wire.TypeClientReady || !ok {
		t.Fatalf("first message %s", m.Type)
	}
	// The stock Debian build has no version string (locust-wire.md 4.1).
	t.Logf("worker %s: client_ready %q (%v)", id, ready.Version, ready.Kind)
	if ready.Kind == wire.VersionSkipCheck {
		t.Errorf("unexpected client_ready -1")
	}
	if wire.NodeHost(id) == "" || len(id) < 34 {
		t.Errorf("odd node id %q", id)
	}
	reply(id, wire.Ack{Index: 0})

	host := "http://127.0.0.1:1"
	spawned := false
	var sawSpawning, sawComplete, sawHeartbeat, sawEntries bool
	for !(sawSpawning && sawComplete && sawHeartbeat && sawEntries) {
		_, m, p := next()
		switch p := p.(type) {
		case wire.StatsReport:
			if !spawned {
				// The first report names the worker's classes.
				if _, ok := p.UserClassesCount["HelloUser"]; !ok {
					t.Fatalf("first report has no HelloUser: %+v", p.UserClassesCount)
				}
				reply(id, wire.Spawn{
					Timestamp:        float64(time.Now().UnixNano()) / 1e9,
					UserClassesCount: map[string]int{"HelloUser": 1},
					Host:             &host,
					ParsedOptions:    map[string]any{},
				})
				spawned = true
			}
			if len(p.Stats) > 0 {
				sawEntries = true
				if p.StatsTotal.Name != "Aggregated" || p.StatsTotal.NumRequests < p.Stats[0].NumRequests {
					t.Errorf("inconsistent report: %+v", p)
				}
				// Nothing listens on port 1: every request fails.
				if p.StatsTotal.NumFailures == 0 || len(p.Errors) == 0 {
					t.Errorf("no failures or errors in %+v", p)
				}
				for _, e := range p.Errors {
					t.Logf("error from the worker: %s %s: %s (%d)", e.Method, e.Name, e.Error, e.Occurrences)
				}
			}
		case wire.Heartbeat:
			sawHeartbeat = true
			if p.State != wire.StateReady && p.State != wire.StateSpawning && p.State != wire.StateRunning {
				t.Errorf("heartbeat state %q", p.State)
			}
		case wire.SpawningComplete:
			sawComplete = true
			if p.UserCount != 1 || p.UserClassesCount["HelloUser"] != 1 {
				t.Errorf("spawning_complete = %+v", p)
			}
		case wire.Signal:
			if p.Type == wire.TypeSpawning {
				sawSpawning = true
			}
		default:
			t.Logf("also got %s", m.Type)
		}
	}

	reply(id, wire.Signal{Type: wire.TypeQuit})
	for {
		_, m, _ := next()
		if m.Type == wire.TypeQuit {
			break
		}
	}
	select {
	case <-worker.done:
	case <-ctx.Done():
		t.Fatal("worker did not exit after quit")
	}
	if code := worker.exitCode(); code != 0 && code != 1 {
		t.Errorf("worker exit code %d (%v)", code, worker.err)
	}
	if out := worker.out.String(); strings.Contains(out, "Traceback") || strings.Contains(out, "Unknown message type") {
		t.Errorf("worker output:\n%s", out)
	}
}
