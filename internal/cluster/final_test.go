package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// startFake starts a test of one user per worker on a fake master and
// answers its spawns.
func startFake(t *testing.T, m *Master, f *fakeRouter, ids ...string) {
	t.Helper()
	if err := m.Start(len(ids), 0, "http://127.0.0.1:1", 0, nil); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	for _, id := range ids {
		spawnedFake(t, f, id)
	}
}

// stopFake stops the test: herd workers send their final report, then
// client_stopped, as herd's worker does; Locust workers only
// client_stopped. Stop must return once all confirmed.
func stopFake(t *testing.T, m *Master, f *fakeRouter, final map[string]wire.StatsReport, ids ...string) {
	t.Helper()
	stops := len(f.messages(wire.TypeStop, ""))
	left := make(chan int, 1)
	go func() { left <- m.Stop(time.Second) }()
	synctest.Wait()
	if n := len(f.messages(wire.TypeStop, "")) - stops; n != len(ids) {
		t.Fatalf("%d stop messages, want %d", n, len(ids))
	}
	for _, id := range ids {
		if r, ok := final[id]; ok {
			f.from(t, id, r)
		}
		f.from(t, id, wire.Signal{Type: wire.TypeClientStopped})
	}
	select {
	case n := <-left:
		if n != 0 {
			t.Fatalf("Stop left %d users", n)
		}
	default:
		t.Fatal("Stop did not return once every worker confirmed")
	}
}

// awaitResult is what AwaitFinalReports returned, and when.
type awaitResult struct {
	missing []string
	took    time.Duration
}

func awaitFinal(m *Master) <-chan awaitResult {
	res := make(chan awaitResult, 1)
	start := time.Now()
	go func() {
		missing := m.AwaitFinalReports(context.Background())
		res <- awaitResult{missing, time.Since(start)}
	}()
	synctest.Wait()
	return res
}

func noResult[T any](t *testing.T, c <-chan T, what string) {
	t.Helper()
	select {
	case r := <-c:
		t.Fatalf("%s returned early: %+v", what, r)
	default:
	}
}

// TestAwaitFinalReports: after Stop, a herd worker's statistics are
// complete (it reported before client_stopped); a Locust worker's come
// with its first report after client_stopped, and AwaitFinalReports
// returns the moment the last of them is merged. A Locust worker whose
// report does not come is named after FinalReportWait, and logged.
func TestAwaitFinalReports(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs, logger := newLogs(t)
		sk := newSink()
		m, f := fakeMaster(t, MasterOptions{Logger: logger, OnDelta: sk.onDelta,
			Classes: []Class{{Name: "Shopper", Weight: 1}}})
		ids := []string{"herd_c", "locust_a", "locust_b"}

		// Only a herd worker: nothing to wait for.
		registerFake(t, f, "herd_c", true)
		startFake(t, m, f, "herd_c")
		stopFake(t, m, f, map[string]wire.StatsReport{"herd_c": herdReport(t, "/herd", 5, 0)}, "herd_c")
		if r := <-awaitFinal(m); r.missing != nil || r.took != 0 {
			t.Errorf("herd worker only: AwaitFinalReports returned %v after %v, want nil at once", r.missing, r.took)
		}
		f.from(t, "herd_c", wire.ClientReadyVersion("2.12.1")) // registers again after the stop
		registerFake(t, f, "locust_a", false)
		registerFake(t, f, "locust_b", false)

		// Every report comes: AwaitFinalReports returns with the last.
		f.from(t, "locust_a", locustReport(t, "/early", 2, 1)) // before the stop: not a final one
		startFake(t, m, f, ids...)
		f.from(t, "locust_a", locustReport(t, "/running", 3, 1))
		stopFake(t, m, f, map[string]wire.StatsReport{"herd_c": herdReport(t, "/herd", 5, 0)}, ids...)
		res := awaitFinal(m)
		f.from(t, "locust_a", locustReport(t, "/final", 7, 0))
		time.Sleep(time.Second)
		noResult(t, res, "AwaitFinalReports (locust_b's report missing)")
		f.from(t, "locust_b", locustReport(t, "/final", 11, 0))
		if r := <-res; r.missing != nil || r.took != time.Second {
			t.Errorf("AwaitFinalReports returned %v after %v, want nil when the last report came (1s)", r.missing, r.took)
		}
		want := map[string]uint64{"/herd": 10, "/early": 2, "/running": 3, "/final": 18}
		for name, n := range want {
			if got := sk.entry("GET", name).requests; got != n {
				t.Errorf("GET %s: %d requests merged, want %d", name, got, n)
			}
		}
		for _, id := range ids[1:] {
			f.from(t, id, wire.ClientReadyVersion("2.12.1"))
		}

		// locust_b's report does not come: named after FinalReportWait.
		startFake(t, m, f, ids...)
		stopFake(t, m, f, map[string]wire.StatsReport{"herd_c": herdReport(t, "/herd", 1, 0)}, ids...)
		res = awaitFinal(m)
		f.from(t, "locust_a", locustReport(t, "/final", 1, 0))
		r := <-res
		if !slices.Equal(r.missing, []string{"locust_b"}) || r.took != m.opts.FinalReportWait {
			t.Errorf("AwaitFinalReports returned %v after %v, want [locust_b] after %v", r.missing, r.took, m.opts.FinalReportWait)
		}
		if m.opts.FinalReportWait != 4*time.Second {
			t.Errorf("FinalReportWait defaults to %v, want 4s (Locust's 3 s report interval and a margin)", m.opts.FinalReportWait)
		}
		if n := logs.count("WARN", "final statistics missing", "locust_b"); n != 1 {
			t.Errorf("%d warnings name locust_b, want 1", n)
		}
		// Its report comes late: still merged, and no longer missing.
		f.from(t, "locust_b", locustReport(t, "/final", 4, 0))
		if got := sk.entry("GET", "/final").requests; got != 18+1+4 {
			t.Errorf("GET /final: %d requests merged, want %d", got, 18+1+4)
		}
		if r := <-awaitFinal(m); r.missing != nil || r.took != 0 {
			t.Errorf("AwaitFinalReports returned %v after %v, want nil at once", r.missing, r.took)
		}
	})
}

// TestAwaitFinalReportsSkipsLostWorkers: a worker that went missing (no
// heartbeats) is not waited for, and a worker that was removed while it
// ran users is named: what it recorded since its last report is lost. A
// worker that quit sent its final report first.
func TestAwaitFinalReportsSkipsLostWorkers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m, f := fakeMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}}, Liveness: 1,
			RemoveAfter: 10 * time.Second})
		for _, id := range []string{"gone", "lost", "quits"} {
			registerFake(t, f, id, false)
		}
		startFake(t, m, f, "gone", "lost", "quits")
		f.from(t, "quits", locustReport(t, "/", 1, 0))
		f.from(t, "quits", wire.Signal{Type: wire.TypeQuit})
		// No heartbeats: two liveness ticks make every worker missing,
		// and "gone" is removed 10 s later.
		m.tick(time.Now())
		m.tick(time.Now())
		time.Sleep(10 * time.Second)
		f.from(t, "lost", wire.Heartbeat{State: wire.StateRunning}) // back, then silent again
		m.tick(time.Now())
		m.tick(time.Now())
		if s := stateOf(m, "gone"); s != "" {
			t.Fatalf("the removed worker is %q", s)
		}
		if s := stateOf(m, "lost"); s != "missing" {
			t.Fatalf("the lost worker is %q, want missing", s)
		}
		m.Stop(time.Second) // nobody to wait for
		r := <-awaitFinal(m)
		if !slices.Equal(r.missing, []string{"gone", "lost"}) || r.took != 0 {
			t.Errorf("AwaitFinalReports returned %v after %v, want [gone lost] at once", r.missing, r.took)
		}
		// A new test owes nothing for a worker that is no longer there.
		f.from(t, "lost", wire.Heartbeat{State: wire.StateReady})
		f.from(t, "lost", wire.ClientReadyVersion("2.12.1"))
		startFake(t, m, f, "lost")
		stopFake(t, m, f, nil, "lost")
		f.from(t, "lost", locustReport(t, "/", 1, 0))
		if r := <-awaitFinal(m); r.missing != nil {
			t.Errorf("AwaitFinalReports named %v in the next test, want nil", r.missing)
		}
	})
}

// TestQuitRefusesRegistration: once the master quit, a client_ready (a
// Locust worker sends one when its post-stop sleep ends) gets a quit and
// no ack: no "connected" log, no users, no second "quit" log. Quit returns
// once every worker that still heartbeats left, naming those whose final
// statistics are missing; a stopped worker that reported is not named.
func TestQuitRefusesRegistration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		logs, logger := newLogs(t)
		m, f := fakeMaster(t, MasterOptions{Logger: logger, Classes: []Class{{Name: "Shopper", Weight: 1}},
			Liveness: 1 << 20})
		ids := []string{"done", "silent", "sleepy"}
		for _, id := range ids {
			registerFake(t, f, id, false)
		}
		startFake(t, m, f, ids...)
		// "silent" never confirms the stop; the others do and report.
		left := make(chan int, 1)
		go func() { left <- m.Stop(time.Second) }()
		synctest.Wait()
		for _, id := range []string{"done", "sleepy"} {
			f.from(t, id, wire.Signal{Type: wire.TypeClientStopped})
			f.from(t, id, locustReport(t, "/", 1, 0))
		}
		if n := <-left; n != 1 {
			t.Errorf("Stop left %d users, want silent's 1", n)
		}

		quit := make(chan []string, 1)
		go func() { quit <- m.Quit(5 * time.Second) }()
		synctest.Wait()
		for _, id := range ids {
			if n := len(f.messages(wire.TypeQuit, id)); n != 1 {
				t.Errorf("%s got %d quit messages, want 1", id, n)
			}
		}
		// "done" wakes from its post-stop sleep: client_ready, then the
		// quit it had already received: its last report and quit.
		f.from(t, "done", wire.ClientReadyVersion("2.12.1"))
		if n := len(f.messages(wire.TypeAck, "done")); n != 1 {
			t.Errorf("done got %d acks, want only the first", n)
		}
		if n := len(f.messages(wire.TypeQuit, "done")); n != 2 {
			t.Errorf("done got %d quit messages, want 2 (its client_ready is answered with quit)", n)
		}
		f.from(t, "done", locustReport(t, "/", 0, 0))
		f.from(t, "done", wire.Signal{Type: wire.TypeQuit})
		// And again, as a confused worker might: nothing happens.
		f.from(t, "done", wire.ClientReadyVersion("2.12.1"))
		f.from(t, "done", wire.Signal{Type: wire.TypeQuit})
		if s := stateOf(m, "done"); s != "" || len(f.messages(wire.TypeSpawn, "done")) != 1 {
			t.Errorf("done is %q after it quit, with %d spawns, want gone with 1", s, len(f.messages(wire.TypeSpawn, "done")))
		}
		if err := m.Start(3, 0, "", 0, nil); !errors.Is(err, errQuitting) {
			t.Errorf("Start after Quit: %v, want %v", err, errQuitting)
		}

		// "sleepy" and "silent" never leave.
		time.Sleep(5 * time.Second)
		missing := <-quit
		if !slices.Equal(missing, []string{"silent"}) {
			t.Errorf("Quit named %v, want [silent] (sleepy's statistics are complete)", missing)
		}
		if n := logs.count("worker connected"); n != len(ids) {
			t.Errorf("%d workers connected, want %d (no registration after quit)", n, len(ids))
		}
		if n := logs.count("worker quit", "done"); n != 1 {
			t.Errorf("done's quit logged %d times, want once", n)
		}
		if n := logs.count("WARN", "final statistics missing", "silent"); n != 1 {
			t.Errorf("%d warnings name silent, want 1", n)
		}
		if n := logs.count("did not leave in time", "sleepy"); n != 1 {
			t.Errorf("sleepy's late leave logged %d times, want 1", n)
		}
	})
}

// TestQuitRefusesRegistrationOverTheWire: the same with a raw worker on a
// real socket, as a Locust worker behaves after a stop: its client_ready
// after the master's quit gets a second quit and no ack, its final
// report and quit end Quit, and the master logs one quit.
func TestQuitRefusesRegistrationOverTheWire(t *testing.T) {
	t.Parallel()
	logs, logger := newLogs(t)
	sk := newSink()
	m, ep := fastMaster(t, MasterOptions{Logger: logger, OnDelta: sk.onDelta, Classes: []Class{{Name: "Shopper", Weight: 1}}})
	raw := dialRaw(t, ep, "locust_1", true)
	raw.register(t, wire.ClientReadyVersion("2.12.1"))
	raw.beating.Store(true)
	startAndWait(t, m, 2)
	stopped := make(chan int, 1)
	go func() { stopped <- m.Stop(testWait) }()
	raw.waitType(t, wire.TypeStop)
	raw.send(wire.Signal{Type: wire.TypeClientStopped})
	<-stopped

	quit := make(chan []string, 1)
	go func() { quit <- m.Quit(testWait) }()
	raw.waitType(t, wire.TypeQuit)
	raw.send(wire.ClientReadyVersion("2.12.1")) // its post-stop sleep is over
	raw.waitType(t, wire.TypeQuit)
	raw.send(locustReport(t, "/last", 4, 0))
	raw.send(wire.Signal{Type: wire.TypeQuit})
	var missing []string
	select {
	case missing = <-quit:
	case <-time.After(testWait):
		t.Fatal("Quit did not return when the worker left")
	}
	if missing != nil {
		t.Errorf("Quit named %v, want nil", missing)
	}
	if got := sk.entry("GET", "/last").requests; got != 4 {
		t.Errorf("%d requests of the final report merged, want 4", got)
	}
	if n := raw.count(wire.TypeAck); n != 1 {
		t.Errorf("%d acks, want only the first", n)
	}
	if n := logs.count("worker connected"); n != 1 {
		t.Errorf("the worker connected %d times, want once", n)
	}
	if n := logs.count("worker quit"); n != 1 {
		t.Errorf("the worker's quit logged %d times, want once", n)
	}
}
