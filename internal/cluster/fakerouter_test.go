package cluster

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// fakeRouter is a master's socket in memory, for tests that run in a
// testing/synctest bubble (a real socket's reads are not durably
// blocking, so fake time would never advance): workers' frames go in
// through from, and what the master sends is kept with the fake time it
// was sent at.
type fakeRouter struct {
	in   chan fakeFrame
	stop chan struct{}
	once sync.Once

	mu   sync.Mutex
	sent []sentMsg
	// onSend, when set, sees each message as the master sends it.
	onSend func(to string, m wire.Message)
}

type fakeFrame struct {
	id      string
	payload []byte
}

// sentMsg is one message the master sent.
type sentMsg struct {
	to  string
	msg wire.Message
	at  time.Time
}

func newFakeRouter() *fakeRouter {
	return &fakeRouter{in: make(chan fakeFrame), stop: make(chan struct{})}
}

func (f *fakeRouter) Recv(ctx context.Context) (string, []byte, error) {
	select {
	case x := <-f.in:
		return x.id, x.payload, nil
	case <-ctx.Done():
		return "", nil, ctx.Err()
	case <-f.stop:
		return "", nil, transport.ErrClosed
	}
}

func (f *fakeRouter) SendTo(id string, payload []byte) error {
	m, err := wire.Decode(payload)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.sent = append(f.sent, sentMsg{to: id, msg: m, at: time.Now()})
	onSend := f.onSend
	f.mu.Unlock()
	if onSend != nil {
		onSend(id, m)
	}
	return nil
}

func (f *fakeRouter) Close() error {
	f.once.Do(func() { close(f.stop) })
	return nil
}

// fakeMaster starts a master on a fake router inside the current bubble.
// Liveness ticks are an hour apart: tests call tick themselves.
func fakeMaster(t *testing.T, opts MasterOptions) (*Master, *fakeRouter) {
	t.Helper()
	if opts.Logger == nil {
		_, opts.Logger = newLogs(t)
	}
	opts.Tick = cmpOr(opts.Tick, time.Hour)
	if opts.Liveness == 0 {
		opts.Liveness = 1
	}
	opts.defaults()
	f := newFakeRouter()
	m := newMaster(opts, f, 0)
	t.Cleanup(m.Close)
	return m, f
}

// from delivers p as worker id sent it and waits until every goroutine of
// the bubble is blocked again: the master has handled it.
func (f *fakeRouter) from(t *testing.T, id string, p wire.Payload) {
	t.Helper()
	frame, err := wire.EncodePayload(id, p)
	if err != nil {
		t.Fatal(err)
	}
	f.in <- fakeFrame{id: id, payload: frame}
	synctest.Wait()
}

// messages is what the master sent of type typ (to id, unless id is "").
func (f *fakeRouter) messages(typ, id string) []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sentMsg
	for _, s := range f.sent {
		if s.msg.Type == typ && (id == "" || s.to == id) {
			out = append(out, s)
		}
	}
	return out
}

// locustReport is a Locust worker's stats report (no herd extension) of
// n requests to GET name, with users running.
func locustReport(t *testing.T, name string, n, users int) wire.StatsReport {
	t.Helper()
	r := herdReport(t, name, n, users)
	r.Extra = nil
	return r
}

// herdReport is a herd worker's stats report of n requests to GET name.
func herdReport(t *testing.T, name string, n, users int) wire.StatsReport {
	t.Helper()
	l := newScriptedLocal("Shopper")
	for range n {
		l.rec.request("GET", name, 10*time.Millisecond, 10, "")
	}
	r, err := toReport(l.st.TakeDelta(time.Now()), map[string]int{"Shopper": users}, l.classes)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// registerFake registers worker id, a Locust worker, or a herd one when
// herd is set (its first report carries the herd extension).
func registerFake(t *testing.T, f *fakeRouter, id string, herd bool) {
	t.Helper()
	f.from(t, id, wire.ClientReadyVersion("2.12.1"))
	if len(f.messages(wire.TypeAck, id)) == 0 {
		t.Fatalf("%s got no ack", id)
	}
	if herd {
		f.from(t, id, herdReport(t, "/", 0, 0))
	} else {
		f.from(t, id, locustReport(t, "/", 0, 0))
	}
}

// spawnedFake answers the master's last spawn to id as a worker does.
func spawnedFake(t *testing.T, f *fakeRouter, id string) {
	t.Helper()
	ms := f.messages(wire.TypeSpawn, id)
	if len(ms) == 0 {
		t.Fatalf("no spawn to %s", id)
	}
	sp, err := wire.DecodeSpawn(ms[len(ms)-1].msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	f.from(t, id, wire.SpawningComplete{UserClassesCount: sp.UserClassesCount, UserCount: sum(sp.UserClassesCount)})
}
