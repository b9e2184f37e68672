package transport

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// TestInteropLocustMaster joins a real headless Locust 2.12.1 master with a
// Dealer speaking the protocol through package wire, like a herd worker:
// client_ready "2.12.1", ack, heartbeats and stats, spawn handling, quit.
func TestInteropLocustMaster(t *testing.T) {
	requireLocust(t)
	// Parallel: it waits on Locust, and runs after the sequential tests,
	// whose goroutine counts (checkNoLeak) it would skew.
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), interopTimeout)
	defer cancel()
	port := freePort(t)
	master := startLocust(t, ctx, "-f", writeLocustfile(t), "--master",
		"--master-bind-host", "127.0.0.1", "--master-bind-port", fmt.Sprint(port),
		"--headless", "-u", "2", "-r", "2", "-t", "3s", "--expect-workers", "1")

	id := wire.NodeIDFor("herdtest")
	d, err := DialDealer(ctx, fmt.Sprintf("tcp://127.0.0.1:%d", port), id)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w := &fakeWorker{t: t, d: d, id: id, state: wire.StateReady, users: map[string]int{"HelloUser": 0}}
	w.send(wire.ClientReadyVersion(wire.LocustVersion))

	msgs := make(chan wire.Message)
	go func() {
		for {
			payload, err := d.Recv(ctx)
			if err != nil {
				return // closed or timed out
			}
			m, err := wire.Decode(payload)
			if err != nil {
				t.Errorf("undecodable frame from the master: %v", err)
				continue
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	var acks []wire.Ack
	var spawns []wire.Spawn
	heartbeat := time.NewTicker(time.Second)
	defer heartbeat.Stop()
	stats := time.NewTicker(3 * time.Second)
	defer stats.Stop()
	quit := false
	for !quit {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out; acks %v, spawns %d", acks, len(spawns))
		case <-master.done:
			t.Fatalf("master exited before sending quit (code %d)", master.exitCode())
		case <-heartbeat.C:
			if len(acks) > 0 {
				w.send(wire.Heartbeat{State: w.state, CurrentCPUUsage: 1.5, CurrentMemoryUsage: 50 << 20})
			}
		case <-stats.C:
			if len(acks) > 0 {
				w.sendStats()
			}
		case m := <-msgs:
			p, err := wire.DecodePayload(m)
			if err != nil {
				t.Fatalf("%s from the master: %v", m.Type, err)
			}
			if m.NodeID != id {
				t.Errorf("%s addressed to %q, want our id", m.Type, m.NodeID)
			}
			switch p := p.(type) {
			case wire.Ack:
				acks = append(acks, p)
				w.send(wire.Heartbeat{State: w.state})
				w.sendStats() // the first report right after the ack
			case wire.Spawn:
				spawns = append(spawns, p)
				w.send(wire.Signal{Type: wire.TypeSpawning})
				w.state = wire.StateSpawning
				total := 0
				for class, n := range p.UserClassesCount {
					w.users[class] = n
					total += n
				}
				w.send(wire.SpawningComplete{UserClassesCount: w.users, UserCount: total})
				w.state = wire.StateRunning
			case wire.Signal:
				if p.Type == wire.TypeQuit {
					w.sendStats()
					w.send(wire.Signal{Type: wire.TypeQuit})
					quit = true
				}
			}
		}
	}
	select {
	case <-master.done:
	case <-ctx.Done():
		t.Fatal("master did not exit after quit")
	}
	if code := master.exitCode(); code != 0 && code != 1 {
		t.Errorf("master exit code %d (%v)", code, master.err)
	}
	if len(acks) != 1 || !acks[0].HasIndex || acks[0].Index != 0 {
		t.Errorf("acks = %+v, want one with index 0", acks)
	}
	spawned := false
	for _, s := range spawns {
		if s.UserClassesCount["HelloUser"] > 0 && s.Timestamp > 0 {
			spawned = true
		}
	}
	if !spawned {
		t.Errorf("no spawn for HelloUser: %+v", spawns)
	}
	out := master.out.String()
	for _, bad := range []string{"Traceback", "Uncaught exception", "Unknown message type"} {
		if strings.Contains(out, bad) {
			t.Errorf("master output contains %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, id) {
		t.Errorf("master never mentions worker %s:\n%s", id, out)
	}
}

// fakeWorker sends what a herd worker sends, built with package wire.
type fakeWorker struct {
	t          *testing.T
	d          *Dealer
	id         string
	state      string
	users      map[string]int
	lastReport float64
}

// send encodes p and queues it.
func (w *fakeWorker) send(p wire.Payload) {
	w.t.Helper()
	frame, err := wire.EncodePayload(w.id, p)
	if err != nil {
		w.t.Fatalf("encode %s: %v", p.MessageType(), err)
	}
	if err := w.d.Send(frame); err != nil {
		w.t.Fatalf("send %s: %v", p.MessageType(), err)
	}
}

// sendStats sends a delta report with one request of 12.5 ms.
func (w *fakeWorker) sendStats() {
	now := float64(time.Now().UnixNano()) / 1e9
	if w.lastReport == 0 {
		w.lastReport = now - 1
	}
	entry := func(name, method string) wire.StatsEntry {
		rt := wire.FloatNumber(12.5)
		return wire.StatsEntry{
			Name: name, Method: &method, LastRequestTimestamp: &now, StartTime: w.lastReport,
			NumRequests: 1, TotalResponseTime: rt, MaxResponseTime: rt, MinResponseTime: &rt,
			TotalContentLength: 100,
			ResponseTimes:      []wire.ResponseTimeCount{{ResponseTime: wire.IntNumber(int64(wire.RoundResponseTime(12.5))), Count: 1}},
			NumReqsPerSec:      []wire.SecondCount{{Second: int64(now), Count: 1}},
		}
	}
	total := 0
	for _, n := range w.users {
		total += n
	}
	w.send(wire.StatsReport{
		Stats:            []wire.StatsEntry{entry("/hello", "GET")},
		StatsTotal:       entry("Aggregated", ""),
		Errors:           map[string]wire.StatsError{},
		UserClassesCount: w.users,
		UserCount:        total,
	})
	w.lastReport = now
}
