package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// testWait bounds every poll in these tests.
const testWait = 30 * time.Second

// poll waits until cond holds, failing the test after testWait.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", testWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logs records what a master or worker logs, for assertions.
type logs struct {
	mu   sync.Mutex
	recs []string
}

type logHandler struct {
	l     *logs
	attrs []slog.Attr
}

// newLogs returns a recorder and a logger writing to it. The records are
// printed when the test fails.
func newLogs(t *testing.T) (*logs, *slog.Logger) {
	l := &logs{}
	t.Cleanup(func() {
		if t.Failed() {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Logf("logs:\n%s", strings.Join(l.recs, "\n"))
		}
	})
	return l, slog.New(&logHandler{l: l})
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.Time.Format("15:04:05.000"), r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	h.l.mu.Lock()
	h.l.recs = append(h.l.recs, b.String())
	h.l.mu.Unlock()
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{l: h.l, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }

// count is the number of records that contain every one of parts.
func (l *logs) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
next:
	for _, r := range l.recs {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue next
			}
		}
		n++
	}
	return n
}

// recorder records requests and errors into a worker's statistics and
// keeps the totals, so a test knows exactly what a worker reported.
type recorder struct {
	sh                         *stats.Shard
	requests, failures, errors int
	sum                        time.Duration
	size                       int64
}

func (r *recorder) request(method, name string, d time.Duration, size int64, failure string) {
	r.sh.Record(method, name, d, size, failure)
	r.requests++
	r.sum += d
	r.size += size
	if failure != "" {
		r.failures++
	}
}

func (r *recorder) error(msg, trace string) {
	r.sh.RecordError(msg, trace, trace)
	r.errors++
}

// scriptedLocal is a worker's runner whose requests follow a script: onTake
// runs at each TakeDelta with the current users and the call's number,
// onStop when the users stop (what they record while finishing). Stop
// blocks while stopGate is set and open.
type scriptedLocal struct {
	classes []Class

	mu       sync.Mutex
	counts   map[string]int
	applied  []map[string]int
	host     string
	st       *stats.Stats
	rec      recorder
	takes    int
	onTake   func(r *recorder, users, call int)
	onStop   func(r *recorder)
	stopGate chan struct{}
	stopping atomic.Int64 // Stop calls entered
	stops    atomic.Int64 // Stop calls done
}

func newScriptedLocal(classes ...string) *scriptedLocal {
	f := &scriptedLocal{counts: map[string]int{}, st: stats.New(time.Now(), stats.Options{Shards: 1})}
	for _, c := range classes {
		f.classes = append(f.classes, Class{Name: c, Weight: 1})
		f.counts[c] = 0
	}
	f.rec.sh = f.st.Shard(0)
	return f
}

func (f *scriptedLocal) Apply(counts map[string]int, host string, _ time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := map[string]int{}
	for k, v := range counts {
		cp[k] = v
		if _, ok := f.counts[k]; ok {
			f.counts[k] = v
		}
	}
	f.applied = append(f.applied, cp)
	f.host = host
}

func (f *scriptedLocal) Stop() {
	f.stopping.Add(1)
	f.mu.Lock()
	gate := f.stopGate
	f.mu.Unlock()
	if gate != nil {
		<-gate // the users take their time to finish
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onStop != nil {
		f.onStop(&f.rec)
	}
	for k := range f.counts {
		f.counts[k] = 0
	}
	f.stops.Add(1)
}

func (f *scriptedLocal) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

func (f *scriptedLocal) TakeDelta(now time.Time) *stats.Delta {
	f.mu.Lock()
	if f.onTake != nil {
		f.onTake(&f.rec, sum(f.counts), f.takes)
	}
	f.takes++
	f.mu.Unlock()
	return f.st.TakeDelta(now)
}

func (f *scriptedLocal) Classes() []Class { return f.classes }

// recorded is a copy of the totals recorded so far.
func (f *scriptedLocal) recorded() recorder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rec
}

func (f *scriptedLocal) users() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sum(f.counts)
}

func (f *scriptedLocal) lastApplied() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.applied) == 0 {
		return nil
	}
	return f.applied[len(f.applied)-1]
}

// msgLog keeps the messages a raw peer received, for waiting on them in
// order.
type msgLog struct {
	mu   sync.Mutex
	msgs []wire.Message
	next int // waitFor looks from here
}

func (l *msgLog) add(m wire.Message) {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.mu.Unlock()
}

// waitFor returns the first message after the previous match that
// satisfies match.
func (l *msgLog) waitFor(t *testing.T, what string, match func(wire.Message) bool) wire.Message {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		l.mu.Lock()
		for i := l.next; i < len(l.msgs); i++ {
			if match(l.msgs[i]) {
				l.next = i + 1
				m := l.msgs[i]
				l.mu.Unlock()
				return m
			}
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; received %v", what, l.types())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *msgLog) waitType(t *testing.T, typ string) wire.Message {
	t.Helper()
	return l.waitFor(t, typ, func(m wire.Message) bool { return m.Type == typ })
}

// count is the number of messages of type typ received so far.
func (l *msgLog) count(typ string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m.Type == typ {
			n++
		}
	}
	return n
}

func (l *msgLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.msgs))
	for i, m := range l.msgs {
		out[i] = m.Type
	}
	return out
}

// rawWorker is a worker driven by hand: a bare DEALER that sends what the
// test says, heartbeats while beating is set, and (with autoSpawn)
// answers spawns as a Locust worker does.
type rawWorker struct {
	id string
	d  *transport.Dealer
	msgLog

	beating   atomic.Bool
	autoSpawn bool
	umu       sync.Mutex
	users     map[string]int
	lastTS    float64
}

func dialRaw(t *testing.T, endpoint, id string, autoSpawn bool) *rawWorker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	d, err := transport.DialDealer(ctx, endpoint, id)
	if err != nil {
		t.Fatal(err)
	}
	r := &rawWorker{id: id, d: d, autoSpawn: autoSpawn}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			frame, err := d.Recv(context.Background())
			if err != nil {
				if errors.Is(err, transport.ErrClosed) {
					return
				}
				continue
			}
			m, err := wire.Decode(frame)
			if err != nil {
				continue
			}
			if m.Type == wire.TypeSpawn && r.autoSpawn {
				r.spawned(m)
			}
			r.add(m)
		}
	})
	wg.Go(func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if r.beating.Load() {
					r.umu.Lock()
					state := wire.StateReady
					if sum(r.users) > 0 {
						state = wire.StateRunning
					}
					r.umu.Unlock()
					r.send(wire.Heartbeat{State: state})
				}
			}
		}
	})
	t.Cleanup(func() {
		close(stop)
		d.Close()
		wg.Wait()
	})
	return r
}

// spawned answers a spawn as a Locust worker does.
func (r *rawWorker) spawned(m wire.Message) {
	r.send(wire.Signal{Type: wire.TypeSpawning})
	sp, err := wire.DecodeSpawn(m.Data)
	if err != nil {
		return
	}
	r.umu.Lock()
	if sp.Timestamp <= r.lastTS {
		r.umu.Unlock()
		return
	}
	r.lastTS, r.users = sp.Timestamp, sp.UserClassesCount
	r.umu.Unlock()
	r.send(wire.SpawningComplete{UserClassesCount: sp.UserClassesCount, UserCount: sum(sp.UserClassesCount)})
}

func (r *rawWorker) userCount() int {
	r.umu.Lock()
	defer r.umu.Unlock()
	return sum(r.users)
}

func (r *rawWorker) send(p wire.Payload) {
	frame, err := wire.EncodePayload(r.id, p)
	if err != nil {
		panic(err)
	}
	r.sendFrame(frame)
}

// sendFrame queues frame; it is lost if the dealer is closed or full, as
// with libzmq.
func (r *rawWorker) sendFrame(frame []byte) {
	_ = r.d.Send(frame)
}

// register sends client_ready and waits for the ack.
func (r *rawWorker) register(t *testing.T, cr wire.ClientReady) wire.Ack {
	t.Helper()
	r.send(cr)
	m := r.waitType(t, wire.TypeAck)
	ack, err := wire.DecodeAck(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

// rawMaster is a master driven by hand: a bare ROUTER.
type rawMaster struct {
	r *transport.Router
	msgLog
}

func listenRaw(t *testing.T) *rawMaster {
	t.Helper()
	r, err := transport.ListenRouter(context.Background(), "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &rawMaster{r: r}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			_, frame, err := r.Recv(context.Background())
			if err != nil {
				if errors.Is(err, transport.ErrClosed) {
					return
				}
				continue
			}
			if msg, err := wire.Decode(frame); err == nil {
				m.add(msg)
			}
		}
	})
	t.Cleanup(func() {
		r.Close()
		wg.Wait()
	})
	return m
}

func (m *rawMaster) endpoint() string { return m.r.Endpoint() }

func (m *rawMaster) send(t *testing.T, id string, p wire.Payload) {
	t.Helper()
	frame, err := wire.EncodePayload(id, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.r.SendTo(id, frame); err != nil {
		t.Fatal(err)
	}
}

// Raw ZMTP 3.1, for peers that misbehave below the transport.

func zmtpGreeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 1
	copy(g[12:], "NULL")
	return g
}

func zmtpReady(socketType, identity string) []byte {
	body := append([]byte{5}, "READY"...)
	for _, p := range [][2]string{{"Socket-Type", socketType}, {"Identity", identity}} {
		body = append(body, byte(len(p[0])))
		body = append(body, p[0]...)
		body = binary.BigEndian.AppendUint32(body, uint32(len(p[1])))
		body = append(body, p[1]...)
	}
	return append([]byte{0x04, byte(len(body))}, body...)
}

// zmtpFrame is one data frame; more marks all but the last of a message.
func zmtpFrame(payload []byte, more bool) []byte {
	var flags byte
	if more {
		flags |= 0x01
	}
	if len(payload) > 255 {
		return append(binary.BigEndian.AppendUint64([]byte{flags | 0x02}, uint64(len(payload))), payload...)
	}
	return append([]byte{flags, byte(len(payload))}, payload...)
}

// readZMTPFrame reads one frame (data or command).
func readZMTPFrame(br *bufio.Reader) (flags byte, body []byte, err error) {
	flags, err = br.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	var n uint64
	if flags&0x02 != 0 {
		var b [8]byte
		if _, err = io.ReadFull(br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	} else {
		c, err := br.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n = uint64(c)
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	body = make([]byte, n)
	_, err = io.ReadFull(br, body)
	return flags, body, err
}

// zmtpHandshake runs the ZMTP handshake on nc as socketType.
func zmtpHandshake(nc net.Conn, socketType, identity string) (*bufio.Reader, error) {
	if err := nc.SetDeadline(time.Now().Add(testWait)); err != nil {
		return nil, err
	}
	if _, err := nc.Write(append(zmtpGreeting(), zmtpReady(socketType, identity)...)); err != nil {
		return nil, err
	}
	br := bufio.NewReader(nc)
	if _, err := io.ReadFull(br, make([]byte, 64)); err != nil {
		return nil, err
	}
	flags, body, err := readZMTPFrame(br)
	if err != nil {
		return nil, err
	}
	if flags&0x04 == 0 || !bytes.HasPrefix(body, []byte("\x05READY")) {
		return nil, fmt.Errorf("want READY, got flags %#x %q", flags, body)
	}
	return br, nil
}

// Locust.

const locustBin = "/usr/bin/locust"

// needLocust skips the test when Locust is not installed, unless
// HERD_E2E=required.
func needLocust(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(locustBin); err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("HERD_E2E=required, but Locust is missing: %v", err)
		}
		t.Skipf("Locust is not installed (%v)", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// locustProc is a running Locust process.
type locustProc struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

// startLocust runs Locust in dir with args until ctx ends (at most 60 s).
// Its output is logged if the test fails.
func startLocust(t *testing.T, ctx context.Context, dir string, args ...string) *locustProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	p := &locustProc{done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, locustBin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		if t.Failed() {
			t.Logf("locust %s:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// exitCode waits for the process (at most testWait) and returns its exit
// code.
func (p *locustProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(testWait):
		t.Fatalf("locust %v did not exit", p.cmd.Args[1:])
	}
	if p.err != nil && p.cmd.ProcessState == nil {
		t.Fatalf("locust: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// readCSV reads a Locust CSV file as rows of column → value.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s is empty", filepath.Base(path))
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			if i < len(rec) {
				row[col] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// sink collects what a master passes to OnDelta.
type sink struct {
	mu       sync.Mutex
	entries  map[stats.Key]*sinkEntry
	failures map[string]uint64 // "method name: error" → occurrences
	errors   map[string]uint64 // message → count
	nodes    map[string]int    // node → deltas
	merged   *stats.Stats
}

type sinkEntry struct {
	requests, failures, size uint64
	sum                      time.Duration
}

func newSink() *sink {
	return &sink{entries: map[stats.Key]*sinkEntry{}, failures: map[string]uint64{}, errors: map[string]uint64{},
		nodes: map[string]int{}, merged: stats.New(time.Now(), stats.Options{Shards: 1})}
}

func (s *sink) onDelta(d *stats.Delta, node string) {
	s.merged.Merge(d, node)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[node]++
	for _, e := range d.Entries {
		a := s.entries[e.Key]
		if a == nil {
			a = &sinkEntry{}
			s.entries[e.Key] = a
		}
		a.requests += e.Requests
		a.failures += e.Failures
		a.size += e.Size
		if e.Hist != nil {
			a.sum += e.Hist.Sum()
		} else if e.HistBinary != nil {
			var h histogram.Histogram
			h.UnmarshalBinary(e.HistBinary)
			a.sum += h.Sum()
		}
	}
	for _, f := range d.Failures {
		s.failures[f.Method+" "+f.Name+": "+f.Error] += f.Occurrences
	}
	for _, e := range d.Errors {
		s.errors[e.Message] += e.Count
	}
}

// entry is a copy of one (method, name)'s totals.
func (s *sink) entry(method, name string) sinkEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.entries[stats.Key{Method: method, Name: name}]; a != nil {
		return *a
	}
	return sinkEntry{}
}

// requests is the number of requests of every entry.
func (s *sink) requests() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, a := range s.entries {
		n += a.requests
	}
	return n
}

func (s *sink) errorCount(msg string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errors[msg]
}

func (s *sink) failuresMatching(substr string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for k, v := range s.failures {
		if strings.Contains(k, substr) {
			n += v
		}
	}
	return n
}

func keyOf(method, name string) stats.Key { return stats.Key{Method: method, Name: name} }
