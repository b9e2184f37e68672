package cluster

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// fastMaster starts a master on a free loopback port with short liveness
// timing; t's cleanup closes it.
func fastMaster(t *testing.T, opts MasterOptions) (*Master, string) {
	t.Helper()
	opts.Bind = "tcp://127.0.0.1:0"
	if opts.Tick == 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Liveness == 0 {
		opts.Liveness = 5
	}
	m, err := StartMaster(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, "tcp://127.0.0.1:" + strconv.Itoa(m.Port())
}

// workerRun is a herd worker running in the background.
type workerRun struct {
	done chan struct{}
	err  error
}

// runWorker runs a herd worker with fast timing until the test ends; the
// returned function ends it gracefully.
func runWorker(t *testing.T, endpoint, id string, local Local, opts WorkerOptions) (*workerRun, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if opts.Logger == nil {
		_, opts.Logger = newLogs(t)
	}
	opts.Master, opts.NodeID = endpoint, id
	opts.HeartbeatEvery = cmpOr(opts.HeartbeatEvery, 20*time.Millisecond)
	opts.ReportEvery = cmpOr(opts.ReportEvery, 100*time.Millisecond)
	r := &workerRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = RunWorker(ctx, opts, local)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(testWait):
			t.Error("a worker did not end")
		}
	})
	return r, cancel
}

// workerErr waits for the worker's end and returns its error.
func workerErr(t *testing.T, r *workerRun) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(testWait):
		t.Fatal("the worker did not end")
		return nil
	}
}

func stateOf(m *Master, id string) string {
	for _, w := range m.Workers() {
		if w.ID == id {
			return w.State
		}
	}
	return "" // unknown
}

func startAndWait(t *testing.T, m *Master, users int) {
	t.Helper()
	poll(t, "a worker", func() bool { return m.ActiveWorkers() > 0 })
	done := make(chan int, 1)
	if err := m.Start(users, 0, "http://127.0.0.1:1", 0, func(n int) { done <- n }); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-done:
		if n != users {
			t.Fatalf("the ramp ended at %d users, want %d", n, users)
		}
	case <-time.After(testWait):
		t.Fatal("the ramp never ended")
	}
}

// TestHeartbeatLoss: a worker that falls silent is marked missing after
// the liveness ticks and its users go to the other worker (Rebalance); a
// heartbeat heals it and it gets its share back; silent again, it is
// removed after RemoveAfter. When the last worker leaves the running test,
// AllGone closes.
func TestHeartbeatLoss(t *testing.T) {
	t.Parallel()
	logs, logger := newLogs(t)
	m, ep := fastMaster(t, MasterOptions{Logger: logger, Rebalance: true, Classes: []Class{{Name: "Shopper", Weight: 1}},
		RemoveAfter: 1500 * time.Millisecond})
	local := newScriptedLocal("Shopper")
	errc, stopWorker := runWorker(t, ep, "herd_0", local, WorkerOptions{})
	raw := dialRaw(t, ep, "raw_1", true)
	raw.register(t, wire.ClientReadyVersion("2.12.1"))
	raw.beating.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	startAndWait(t, m, 4)
	if local.users() != 2 || raw.userCount() != 2 {
		t.Fatalf("users %d and %d, want 2 each", local.users(), raw.userCount())
	}

	raw.beating.Store(false)
	poll(t, "the silent worker missing", func() bool { return stateOf(m, raw.id) == "missing" })
	poll(t, "its users on the other worker", func() bool { return local.users() == 4 && m.UserCount() == 4 })
	if n := m.ActiveWorkers(); n != 1 {
		t.Errorf("%d active workers, want 1", n)
	}

	spawns := raw.count(wire.TypeSpawn)
	raw.beating.Store(true)
	poll(t, "the worker healed with its share back", func() bool {
		s := stateOf(m, raw.id)
		return s != "missing" && s != "" && raw.count(wire.TypeSpawn) > spawns && local.users() == 2 && m.UserCount() == 4
	})

	raw.beating.Store(false)
	poll(t, "the silent worker missing again", func() bool { return stateOf(m, raw.id) == "missing" })
	poll(t, "the silent worker removed", func() bool { return stateOf(m, raw.id) == "" && len(m.Workers()) == 1 })
	poll(t, "all users on the survivor", func() bool { return local.users() == 4 && m.UserCount() == 4 })
	for _, msg := range []string{"worker missing", "worker is back", "removed after missing"} {
		if logs.count(msg) == 0 {
			t.Errorf("the master never logged %q", msg)
		}
	}

	// A removed worker that comes back to life is ignored, as by Locust.
	raw.beating.Store(true)
	raw.send(wire.Signal{Type: wire.TypeSpawning})
	select {
	case <-m.AllGone():
		t.Fatal("AllGone closed while a worker runs")
	default:
	}

	// The last worker leaves: the test has no worker left.
	stopWorker()
	if err := workerErr(t, errc); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
	select {
	case <-m.AllGone():
	case <-time.After(testWait):
		t.Fatal("AllGone did not close when the last worker quit")
	}
	if stateOf(m, raw.id) != "" {
		t.Error("the removed worker came back on its heartbeats")
	}
}

// TestLastWorkerMissing: AllGone also closes when the last worker of a
// running test goes missing, and a new test gets a fresh channel.
func TestLastWorkerMissing(t *testing.T) {
	t.Parallel()
	m, ep := fastMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}}})
	raw := dialRaw(t, ep, "raw_1", true)
	raw.register(t, wire.ClientReadyVersion("2.12.1"))
	raw.beating.Store(true)
	select {
	case <-m.AllGone():
		t.Fatal("AllGone closed before any test")
	default:
	}
	startAndWait(t, m, 3)
	raw.beating.Store(false)
	select {
	case <-m.AllGone():
	case <-time.After(testWait):
		t.Fatal("AllGone did not close when the last worker went missing")
	}
	m.Stop(time.Second)
	raw.beating.Store(true)
	poll(t, "the worker back", func() bool { return m.ActiveWorkers() == 1 })
	startAndWait(t, m, 2)
	select {
	case <-m.AllGone():
		t.Fatal("a new test started with AllGone closed")
	default:
	}
}

// frame builds a message frame from arbitrary msgpack values.
func frame(t *testing.T, elems ...any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(elems)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// message builds a well-formed envelope around arbitrary data.
func message(t *testing.T, typ string, data any, node string) []byte {
	t.Helper()
	raw, err := msgpack.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wire.Encode(wire.Message{Type: typ, Data: raw, NodeID: node})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// garbage is every kind of bad frame the master must survive.
func garbage(t *testing.T, node string) map[string][]byte {
	validTotal := map[string]any{"name": "Aggregated", "method": "", "num_requests": 1}
	deep := append([]byte{0x93, 0xa4, 'd', 'e', 'e', 'p'}, []byte(strings.Repeat("\x91", 5000))...)
	deep = append(append(deep, 0xc0), append([]byte{0xa0 | byte(len(node))}, node...)...)
	good, _ := wire.EncodePayload(node, wire.Heartbeat{State: "ready"})
	return map[string][]byte{
		"empty":                       {},
		"truncated":                   {0x93, 0xac, 'c', 'l', 'i'},
		"not an array":                {0x05},
		"a string":                    {0xa5, 'h', 'e', 'l', 'l', 'o'},
		"2 elements":                  frame(t, "heartbeat", nil),
		"4 elements":                  frame(t, "heartbeat", nil, node, 1),
		"int type":                    frame(t, 7, nil, node),
		"bin node id":                 frame(t, "heartbeat", nil, []byte(node)),
		"invalid UTF-8 type":          {0x93, 0xa2, 0xff, 0xfe, 0xc0, 0xa1, 'x'},
		"trailing bytes":              append(good, 0x00),
		"deep nesting":                deep,
		"huge map header":             append([]byte{0x93, 0xa5, 's', 't', 'a', 't', 's', 0xdf, 0xff, 0xff, 0xff, 0xff}, 0xa1, 'x'),
		"huge string header":          {0x93, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'x'},
		"msgpack ext":                 {0x93, 0xa1, 'x', 0xd4, 0x01, 0x00, 0xa1, 'x'},
		"unknown type":                message(t, "no_such_type", map[string]any{"a": 1}, node),
		"client_ready map":            message(t, "client_ready", map[string]any{"version": "2.12.1"}, node),
		"client_ready nil":            message(t, "client_ready", nil, node),
		"client_ready 7":              message(t, "client_ready", 7, node),
		"client_ready list":           message(t, "client_ready", []any{"2.12.1"}, node),
		"heartbeat nil":               message(t, "heartbeat", nil, node),
		"heartbeat without state":     message(t, "heartbeat", map[string]any{"current_cpu_usage": 1.0}, node),
		"heartbeat wrong types":       message(t, "heartbeat", map[string]any{"state": 1, "current_cpu_usage": "x"}, node),
		"heartbeat float memory":      message(t, "heartbeat", map[string]any{"state": "running", "current_cpu_usage": 1, "current_memory_usage": 1.5}, node),
		"heartbeat odd state":         message(t, "heartbeat", map[string]any{"state": "quitting", "current_cpu_usage": 1}, node),
		"stats a number":              message(t, "stats", 5, node),
		"stats without total":         message(t, "stats", map[string]any{"stats": []any{}}, node),
		"stats entry wrong":           message(t, "stats", map[string]any{"stats": []any{1}, "stats_total": validTotal}, node),
		"stats negative counts":       message(t, "stats", map[string]any{"stats": []any{map[string]any{"name": "/", "method": "GET", "num_requests": -5, "response_times": map[any]any{-1: -3, 1e300: 2}}}, "stats_total": validTotal}, node),
		"stats herd ext not a map":    message(t, "stats", map[string]any{"stats": []any{}, "stats_total": validTotal, "herd": "x"}, node),
		"stats herd bad histogram":    message(t, "stats", map[string]any{"stats": []any{map[string]any{"name": "/", "method": "GET", "num_requests": 1}}, "stats_total": validTotal, "herd": map[string]any{"v": 1, "hists": map[string]any{"GET /": []byte{0xff, 0xff, 0xff}}}}, node),
		"stats herd absurd classes":   message(t, "stats", map[string]any{"stats": []any{}, "stats_total": validTotal, "user_classes_count": map[string]any{"": 1}, "herd": map[string]any{"classes": []any{map[string]any{"name": "Huge", "weight": 1 << 40}, map[string]any{"name": "Neg", "weight": -1}}}}, node),
		"spawning":                    message(t, "spawning", nil, node),
		"spawning_complete garbage":   message(t, "spawning_complete", "x", node),
		"spawning_complete negative":  message(t, "spawning_complete", map[string]any{"user_classes_count": map[string]any{"Shopper": -3}, "user_count": -3}, node),
		"client_stopped":              message(t, "client_stopped", 5, node),
		"exception garbage":           message(t, "exception", []any{1}, node),
		"logs":                        message(t, "logs", map[string]any{"worker_id": node, "logs": []any{"x"}}, node),
		"locustfile":                  message(t, "locustfile", nil, node),
		"ack from a worker":           message(t, "ack", map[string]any{"index": 1}, node),
		"spawn from a worker":         message(t, "spawn", nil, node),
		"other node id":               message(t, "heartbeat", map[string]any{"state": "running", "current_cpu_usage": 1}, "someone_else"),
		"custom with bin and int key": message(t, "worker_hello", map[any]any{1: []byte{0, 1}}, node),
	}
}

// TestMasterSurvivesGarbage throws bad input at the master's port at every
// level (raw TCP, ZMTP, msgpack, message shapes, versions) from unknown and
// known workers. The master logs and drops it, answers undecodable frames
// from a known worker with reconnect, and then serves a normal worker.
func TestMasterSurvivesGarbage(t *testing.T) {
	t.Parallel()
	logs, logger := newLogs(t)
	customs := make(chan string, 100)
	m, ep := fastMaster(t, MasterOptions{Logger: logger, Classes: []Class{{Name: "Shopper", Weight: 1}},
		Tick: time.Second, Liveness: 30, // the raw workers here never heartbeat
		OnCustom: func(node, typ string, _ any) { customs <- node + " " + typ }})
	addr := strings.TrimPrefix(ep, "tcp://")

	// Raw TCP junk, longer than a ZMTP greeting: the connection is dropped.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + strings.Repeat("junk", 20)))
	expectClosed(t, nc)

	// A ZMTP peer declaring a 1 TiB frame: dropped without allocating it.
	nc = zmtpDial(t, addr, "big_1")
	nc.Write([]byte{0x02, 0, 0, 0x01, 0, 0, 0, 0, 0})
	expectClosed(t, nc)

	// A multi-frame message, then a READY-less peer that sends a frame.
	nc = zmtpDial(t, addr, "multi_1")
	nc.Write(append(zmtpFrame([]byte("a"), true), zmtpFrame(message(t, "heartbeat", nil, "multi_1"), false)...))
	nc.Close()

	// A peer whose identity is not UTF-8: refused at client_ready (its
	// node_id cannot be its identity).
	nc = zmtpDial(t, addr, "\xff\xfe")
	nc.Write(zmtpFrame(message(t, "client_ready", "2.12.1", "x"), false))
	poll(t, "the non-UTF-8 id refused", func() bool { return logs.count("not its sender's", "client_ready") == 1 })
	nc.Close()

	// Garbage from a worker the master does not know: logged, no answer.
	stranger := dialRaw(t, ep, "stranger_1", false)
	for _, f := range garbage(t, stranger.id) {
		stranger.sendFrame(f)
	}

	// Client_ready of the wrong shapes gets no ack; only the last, valid
	// one does (messages of one connection are handled in order).
	shapes := dialRaw(t, ep, "shapes_1", false)
	for _, data := range []any{nil, 7, 0, -2, 1.5, true, map[string]any{"v": 1}, []any{"2.12.1"}} {
		shapes.sendFrame(message(t, "client_ready", data, shapes.id))
	}
	if ack := shapes.register(t, wire.ClientReadySkipCheck()); !ack.HasIndex {
		t.Error("ack without index")
	}
	if n := shapes.count(wire.TypeAck); n != 1 {
		t.Errorf("%d acks for one valid client_ready", n)
	}

	// A version the master does not speak: accepted with a warning, as
	// Locust does.
	old := dialRaw(t, ep, "old_1", false)
	old.register(t, wire.ClientReadyVersion("1.0"))
	poll(t, "the version warning", func() bool { return logs.count("different Locust protocol version", "1.0") == 1 })

	// Garbage from a known worker: every undecodable frame gets
	// reconnect, wrong shapes are dropped; the worker stays registered.
	known := dialRaw(t, ep, "known_1", false)
	known.register(t, wire.ClientReadyVersion("2.12.1"))
	undecodable := 0
	for _, f := range garbage(t, known.id) {
		if _, err := wire.Decode(f); err != nil {
			undecodable++
		}
		known.sendFrame(f)
	}
	known.send(wire.ClientReadyVersion("2.12.1")) // in order after the garbage
	known.waitType(t, wire.TypeAck)
	if n := known.count(wire.TypeReconnect); n != undecodable {
		t.Errorf("%d reconnects for %d undecodable frames", n, undecodable)
	}
	if n := stranger.count(wire.TypeReconnect); n != 0 {
		t.Errorf("an unknown worker got %d reconnects", n)
	}
	// Only the known worker's: the stranger never registered.
	poll(t, "the custom messages", func() bool { return len(customs) >= 2 })
	// The first of each kind in full, the rest in a summary every 10 s.
	if logs.count("too large") == 0 || logs.count("multi-frame") == 0 || logs.count("undecodable") == 0 {
		t.Error("the master did not log the bad frames")
	}
	for _, c := range m.Classes() {
		if c.Name != "Shopper" {
			t.Errorf("the master learnt class %+v from garbage", c)
		}
	}

	// The junk workers leave; a normal worker still works.
	for _, r := range []*rawWorker{shapes, old, known} {
		r.send(wire.Signal{Type: wire.TypeQuit})
	}
	poll(t, "the junk workers gone", func() bool { return len(m.Workers()) == 0 })
	local := newScriptedLocal("Shopper")
	errc, _ := runWorker(t, ep, "herd_1", local, WorkerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := m.WaitForWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	startAndWait(t, m, 3)
	if local.users() != 3 {
		t.Errorf("the worker runs %d users, want 3", local.users())
	}
	m.Quit(testWait)
	if err := workerErr(t, errc); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}

// zmtpDial connects and handshakes as a DEALER with identity.
func zmtpDial(t *testing.T, addr, identity string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if _, err := zmtpHandshake(nc, "DEALER", identity); err != nil {
		t.Fatal(err)
	}
	return nc
}

// expectClosed waits for the peer to close nc.
func expectClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(testWait))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the master kept a bad connection open")
		}
	}
}

// TestMasterHeartbeatReplies: the master answers heartbeats of workers
// that understand them (Locust ≥ 2.19, -1, herd workers, recognised by
// their reports' extension) and no others (2.12.1 workers warn about each).
func TestMasterHeartbeatReplies(t *testing.T) {
	t.Parallel()
	_, ep := fastMaster(t, MasterOptions{Tick: time.Second, Liveness: 30})
	herdReport, err := toReport(&stats.Delta{Start: time.Now(), End: time.Now()}, map[string]int{"Shopper": 0},
		[]Class{{Name: "Shopper", Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	locustReport := herdReport
	locustReport.Extra = nil
	for i, tc := range []struct {
		version wire.ClientReady
		report  *wire.StatsReport
		want    bool
	}{
		{wire.ClientReadyVersion("2.12.1"), nil, false},
		{wire.ClientReadyVersion(""), nil, false},
		{wire.ClientReadyVersion("1.0"), nil, false},
		{wire.ClientReadyVersion("2.18.9"), nil, false},
		{wire.ClientReadyVersion("2.12.1"), &locustReport, false},
		{wire.ClientReadyVersion("2.19.0"), nil, true},
		{wire.ClientReadyVersion("2.46.4.dev23+g407343d0"), nil, true},
		{wire.ClientReadySkipCheck(), nil, true},
		{wire.ClientReadyVersion("2.12.1"), &herdReport, true}, // a herd worker
	} {
		t.Run(tc.version.Version+strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			r := dialRaw(t, ep, "hb_"+strconv.Itoa(i), false)
			r.register(t, tc.version)
			if tc.report != nil {
				r.send(*tc.report)
			}
			r.send(wire.Heartbeat{State: wire.StateReady})
			// A second client_ready: its ack comes after any heartbeat
			// reply, and the record it recreates keeps what the master
			// learnt about the worker.
			r.send(tc.version)
			r.waitType(t, wire.TypeAck)
			r.send(wire.Heartbeat{State: wire.StateReady})
			r.send(tc.version)
			r.waitType(t, wire.TypeAck)
			want := 0
			if tc.want {
				want = 2
			}
			if got := r.count(wire.TypeHeartbeat); got != want {
				t.Errorf("%d heartbeat replies, want %d", got, want)
			}
		})
	}
}

// TestWorkerLeavesWhenMasterDies: a herd worker whose herd master sent
// heartbeats ends with ErrMasterGone MasterTimeout after the master
// vanished (no quit), its users stopped.
func TestWorkerLeavesWhenMasterDies(t *testing.T) {
	t.Parallel()
	m, ep := fastMaster(t, MasterOptions{Classes: []Class{{Name: "Shopper", Weight: 1}}})
	local := newScriptedLocal("Shopper")
	logs, logger := newLogs(t)
	errc, _ := runWorker(t, ep, "herd_1", local, WorkerOptions{MasterTimeout: 500 * time.Millisecond, Logger: logger})
	startAndWait(t, m, 2)
	poll(t, "the worker to receive master heartbeats", func() bool { return logs.count("the master sends heartbeats") == 1 })
	m.Close()
	if err := workerErr(t, errc); !errors.Is(err, ErrMasterGone) {
		t.Errorf("the worker ended with %v, want ErrMasterGone", err)
	}
	if local.stops.Load() == 0 || local.users() != 0 {
		t.Error("the worker left its users running")
	}
}

// TestWorkerWithoutMasterHeartbeats: a master that never sends heartbeats
// (Locust < 2.19) is not taken for gone.
func TestWorkerWithoutMasterHeartbeats(t *testing.T) {
	t.Parallel()
	rm := listenRaw(t)
	local := newScriptedLocal("Shopper")
	errc, _ := runWorker(t, rm.endpoint(), "herd_1", local, WorkerOptions{MasterTimeout: 100 * time.Millisecond})
	rm.waitType(t, wire.TypeClientReady)
	rm.send(t, "herd_1", wire.Ack{Index: 0, HasIndex: true})
	// Many heartbeats, far beyond MasterTimeout.
	for range 30 {
		rm.waitType(t, wire.TypeHeartbeat)
	}
	select {
	case <-errc.done:
		t.Fatalf("the worker ended with %v", errc.err)
	default:
	}
	rm.send(t, "herd_1", wire.Signal{Type: wire.TypeQuit})
	if err := workerErr(t, errc); err != nil {
		t.Errorf("the worker ended with %v", err)
	}
}
