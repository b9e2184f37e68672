package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/herdload/herd/internal/dispatch"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// MasterOptions configure a master. Zero durations take Locust's values.
type MasterOptions struct {
	Bind    string // "tcp://*:5557", "tcp://127.0.0.1:0"
	Logger  *slog.Logger
	Version string // for logs about mismatched workers
	// Classes are the test's user classes; nil learns them from the
	// workers' reports (a master without the test's code).
	Classes []Class
	// Rebalance redistributes users when workers join or leave a test.
	Rebalance bool
	// OnDelta receives every worker's statistics; the caller merges them.
	// The delta is only valid during the call: its histograms are reused.
	OnDelta func(d *stats.Delta, node string)
	// OnCustom receives custom messages from workers.
	OnCustom func(node, typ string, data any)
	// OnReportExtra receives the custom keys of each worker report.
	OnReportExtra func(node string, extra map[string]any)
	// ParsedOptions, when set, gives the parsed_options each spawn
	// carries (Locust sends its options there): the test's own options,
	// so every worker runs with the master's values. Nil sends {}.
	ParsedOptions func() map[string]any

	Tick        time.Duration // liveness tick, 1 s
	Liveness    int           // ticks without heartbeat before "missing", 3
	RemoveAfter time.Duration // missing this long: removed, 60 s
	// FinalReportWait bounds AwaitFinalReports: 4 s, Locust's report
	// interval (3 s) plus a margin for a busy worker and the network.
	FinalReportWait time.Duration

	// Token, when set, is a secret every worker must present (herd
	// workers do with WorkerOptions.Token): a peer without it, or with
	// another one, is disconnected right after its ZMTP handshake, before
	// anything it sends is read. Locust workers cannot present one: leave
	// it empty to mix them in. See transport.Router.
	Token string
	// Limits bound what peers cost the master (see transport.Limits; zero
	// fields take its defaults). AdmitTimeout defaults to JoinTimeout.
	Limits transport.Limits
}

func (o *MasterOptions) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = wire.LocustVersion
	}
	o.Limits.AdmitTimeout = cmpOr(o.Limits.AdmitTimeout, JoinTimeout)
	o.Tick = cmpOr(o.Tick, time.Second)
	o.RemoveAfter = cmpOr(o.RemoveAfter, 60*time.Second)
	o.FinalReportWait = cmpOr(o.FinalReportWait, locustReportEvery+time.Second)
	if o.Liveness <= 0 {
		o.Liveness = 3
	}
}

// WorkerInfo is one worker as the master sees it.
type WorkerInfo struct {
	ID      string
	Index   int
	State   string // ready, spawning, running, missing
	Users   int
	CPU     float64 // percent of the worker's cores
	Memory  int64   // bytes
	Version string
}

// worker is the master's record of one worker.
type worker struct {
	id, version  string
	index        int
	state        string
	users        map[string]int
	cpu          float64
	mem          int64
	liveness     int
	missingSince time.Time // zero unless missing
	heartbeats   bool      // it understands master heartbeats (Locust ≥ 2.19, herd)
	stopped      bool      // sent client_stopped
	herd         bool      // a herd worker: its reports carry the herd extension
	reported     bool      // sent a stats report since it registered
	beat         []byte    // the master's heartbeat to it, encoded once
}

func (w *worker) active() bool { return w.missingSince.IsZero() && !w.stopped }

// routerConn is the master's socket: a *transport.Router, or an
// in-memory fake in tests that run under testing/synctest.
type routerConn interface {
	Recv(ctx context.Context) (identity string, payload []byte, err error)
	SendTo(identity string, payload []byte) error
	Close() error
}

// admitter is a routerConn that drops connections which do not become
// workers (transport.Router: Admit and Forget).
type admitter interface {
	Admit(identity string)
	Forget(identity string)
}

// Master coordinates the workers of a distributed test.
type Master struct {
	opts   MasterOptions
	log    *slog.Logger
	router routerConn
	port   int
	cancel context.CancelFunc
	wg     sync.WaitGroup
	intake intake // reads reports; owned by the receive goroutine
	warns  *warnings

	mu        sync.Mutex
	workers   map[string]*worker
	indexes   map[string]int // stable per node id
	learned   map[string]Class
	running   bool
	target    int
	placed    int      // users dispatched so far
	only      []string // when set, the only classes dispatched (a shape's or the class picker's)
	host      string
	stopWait  time.Duration
	lastTS    float64
	ramp      context.CancelFunc
	rampWG    sync.WaitGroup
	allGone   chan struct{}
	gone      bool             // allGone is closed
	herdNodes map[string]bool  // registered workers that proved to be herd workers
	stopping  map[string]bool  // workers told to stop that have not confirmed yet
	changed   chan struct{}    // signalled when worker counts change
	redo      chan struct{}    // a redispatch is due (redispatcher)
	open      *openRun         // the running open-model run, nil otherwise (open.go)
	owed      map[string]owing // statistics not merged yet, by worker id (final.go)
	quitting  bool             // Quit was called: no worker registers any more
	closeOnce sync.Once

	// dispatchMu orders spawn messages against stop and quit: a dispatch
	// that saw the test running finishes sending before Stop or Quit send
	// theirs, and one that starts later sees the test stopped.
	dispatchMu sync.Mutex
}

// StartMaster binds the master's socket and starts serving workers.
func StartMaster(ctx context.Context, opts MasterOptions) (*Master, error) {
	opts.defaults()
	r, err := transport.ListenRouter(ctx, opts.Bind, transport.WithToken(opts.Token),
		transport.WithHandshakeTimeout(opts.Limits.AdmitTimeout), transport.WithLimits(opts.Limits))
	if err != nil {
		return nil, fmt.Errorf("master: binding %s: %w", opts.Bind, err)
	}
	return newMaster(opts, r, r.Port()), nil
}

// newMaster starts serving workers on r, whose TCP port is port.
func newMaster(opts MasterOptions, r routerConn, port int) *Master {
	runCtx, cancel := context.WithCancel(context.Background())
	m := &Master{
		opts: opts, log: opts.Logger, router: r, port: port, cancel: cancel, warns: newWarnings(opts.Logger, warnEvery),
		workers: map[string]*worker{}, indexes: map[string]int{}, learned: map[string]Class{},
		herdNodes: map[string]bool{}, stopping: map[string]bool{}, owed: map[string]owing{},
		allGone: make(chan struct{}), changed: make(chan struct{}, 1), redo: make(chan struct{}, 1),
	}
	m.wg.Go(func() { m.receive(runCtx) })
	m.wg.Go(func() { m.watch(runCtx) })
	m.wg.Go(func() { m.redispatcher(runCtx) })
	return m
}

// Port is the TCP port the master listens on.
func (m *Master) Port() int { return m.port }

// Close stops serving (after Quit, to let workers go first). It waits for
// the goroutines the master started, a ramp's onDone included.
func (m *Master) Close() {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		if m.ramp != nil {
			m.ramp()
		}
		m.mu.Unlock()
		m.cancel()
		m.router.Close()
		m.wg.Wait()
		m.rampWG.Wait()
	})
}

func (m *Master) sendTo(id string, p wire.Payload) {
	frame, err := wire.EncodePayload(id, p)
	if err == nil {
		err = m.router.SendTo(id, frame)
	}
	if err != nil {
		m.log.Debug("sending to a worker failed", "worker", id, "type", p.MessageType(), "err", err)
	}
}

func (m *Master) notify() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

func (m *Master) receive(ctx context.Context) {
	for {
		id, payload, err := m.router.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, transport.ErrClosed) {
				return
			}
			m.warns.warn(time.Now(), peerErrorKind(err), "master: a peer was dropped or its message refused", "err", err)
			continue
		}
		m.handleFrame(id, payload)
	}
}

// handleFrame acts on one frame from the worker whose routing id is id.
// Whatever the frame holds, it logs and drops what it cannot use; a known
// worker that sent an undecodable frame is told to reconnect (Locust does
// the same).
func (m *Master) handleFrame(id string, payload []byte) {
	// The payload is ours (the socket does not reuse it): its data is
	// decoded in place, and every decoder copies what it keeps.
	msg, err := wire.DefaultLimits.DecodeView(payload)
	if err != nil {
		m.warns.warn(time.Now(), "undecodable", "master: dropping an undecodable message", "worker", id, "err", err)
		m.mu.Lock()
		_, known := m.workers[id]
		m.mu.Unlock()
		if known {
			m.sendTo(id, wire.Signal{Type: wire.TypeReconnect})
		}
		return
	}
	m.handle(id, msg)
}

// handle acts on one message from the connection whose routing id is id.
// The sender is always the connection's identity: a message whose
// node_id says otherwise is dropped (Locust and herd workers send their
// identity; anything else is a peer speaking for another). Only
// client_ready comes from peers that never registered; their other
// messages are dropped.
func (m *Master) handle(id string, msg wire.Message) {
	if msg.NodeID != id {
		m.warns.warn(time.Now(), "node_id_mismatch", "master: dropping a message whose node_id is not its sender's",
			"worker", id, "node_id", msg.NodeID, "type", msg.Type)
		return
	}
	if msg.Type != wire.TypeClientReady && !m.everRegistered(id) {
		m.warns.warn(time.Now(), "unregistered", "master: dropping a message from a peer that never registered",
			"worker", id, "type", msg.Type)
		return
	}
	switch msg.Type {
	case wire.TypeClientReady:
		m.register(id, msg)
	case wire.TypeHeartbeat:
		hb, err := wire.DecodeHeartbeat(msg.Data)
		if err != nil {
			m.warns.warn(time.Now(), "bad_message", "master: bad heartbeat", "worker", id, "err", err)
			return
		}
		m.mu.Lock()
		w := m.workers[id]
		healed := false
		if w != nil {
			// A stopped worker keeps heartbeating until it registers
			// again: it is alive, but its state is the next client_ready's.
			w.cpu, w.mem, w.liveness = hb.CurrentCPUUsage, hb.CurrentMemoryUsage, m.opts.Liveness
		}
		if w != nil && !w.stopped {
			if hb.State == wire.StateReady || hb.State == wire.StateSpawning || hb.State == wire.StateRunning {
				w.state = hb.State
			}
			if !w.missingSince.IsZero() {
				w.missingSince, healed = time.Time{}, true
				m.log.Info("master: worker is back", "worker", id)
			}
		}
		var reply []byte
		if w != nil && w.heartbeats {
			if w.beat == nil {
				w.beat, _ = wire.EncodePayload(id, wire.Signal{Type: wire.TypeHeartbeat})
			}
			reply = w.beat // the socket keeps it unchanged
		}
		m.mu.Unlock()
		if reply != nil {
			if err := m.router.SendTo(id, reply); err != nil {
				m.log.Debug("sending to a worker failed", "worker", id, "type", wire.TypeHeartbeat, "err", err)
			}
		}
		if healed {
			m.redispatch()
		}
	case wire.TypeStats:
		d, r, err := m.intake.read(msg.Data, time.Now())
		if err != nil {
			m.warns.warn(time.Now(), "bad_message", "master: bad stats report", "worker", id, "err", err)
			return
		}
		if m.opts.OnDelta != nil {
			m.opts.OnDelta(d, id)
		}
		if m.opts.OnReportExtra != nil && len(r.extra) > 0 {
			extra := map[string]any{}
			for _, f := range r.extra {
				if string(f.Key) == extKey {
					continue
				}
				if v, err := wire.DecodeValue(f.Value); err == nil {
					extra[string(f.Key)] = v
				}
			}
			if len(extra) > 0 {
				m.opts.OnReportExtra(id, extra)
			}
		}
		herd := r.herd
		var joined bool // a herd worker proved itself during an open-model run
		m.mu.Lock()
		open := m.open != nil
		if w := m.workers[id]; w != nil {
			if w.active() {
				w.users = copyCounts(w.users, r.counts)
			}
			if open && !herd && !w.reported {
				m.log.Warn("master: a Locust worker joined an arrival-rate run: it cannot run a share", "worker", id)
			}
			w.reported = true
			if herd && !w.herd {
				// A herd worker (it announces Locust 2.12.1) understands
				// master heartbeats and leaves when they stop.
				w.herd, w.heartbeats = true, true
				m.herdNodes[id] = true
				joined = open && w.active()
			}
			// Only registered workers teach the master classes: anyone
			// can connect and send a report.
			m.learn(r.counts, r.classes)
		}
		// After OnDelta: when the debt is settled, the report is merged.
		m.reportedLocked(id)
		m.mu.Unlock()
		m.notify()
		if open && herd {
			if joined {
				m.dispatchOpen()
			}
			if start := r.openDone; start != 0 {
				m.openDone(id, start)
			}
		}
	case wire.TypeSpawning:
		m.mu.Lock()
		if w := m.workers[id]; w != nil && w.active() {
			w.state = wire.StateSpawning
		}
		m.mu.Unlock()
	case wire.TypeSpawningComplete:
		sc, err := wire.DecodeSpawningComplete(msg.Data)
		if err != nil {
			m.warns.warn(time.Now(), "bad_message", "master: bad spawning_complete", "worker", id, "err", err)
			return
		}
		m.mu.Lock()
		if w := m.workers[id]; w != nil && w.active() {
			w.users, w.state = userCounts(sc.UserClassesCount), wire.StateRunning
		}
		m.mu.Unlock()
		m.notify()
	case wire.TypeClientStopped:
		m.mu.Lock()
		if w := m.workers[id]; w != nil {
			w.stopped, w.users = true, nil
		}
		delete(m.stopping, id)
		m.stoppedLocked(id)
		m.mu.Unlock()
		m.notify()
	case wire.TypeQuit:
		m.mu.Lock()
		_, known := m.workers[id]
		if known {
			// Before anyone waiting for it to leave sees it gone.
			m.log.Info("master: worker quit", "worker", id)
		}
		delete(m.workers, id)
		delete(m.stopping, id)
		// Herd and Locust workers alike send their last report first.
		delete(m.owed, id)
		m.mu.Unlock()
		if !known {
			return
		}
		m.forget(id)
		m.notify()
		m.afterLoss()
		// As Locust: the users of a worker that left go to the others.
		m.redispatch()
	case wire.TypeException:
		ex, err := wire.DecodeException(msg.Data)
		if err != nil {
			m.warns.warn(time.Now(), "bad_message", "master: bad exception", "worker", id, "err", err)
			return
		}
		m.mu.Lock()
		herd := m.herdNodes[id]
		m.mu.Unlock()
		// A herd worker's reports carry its errors exactly; it sends
		// exception messages for Locust masters only.
		if !herd && m.opts.OnDelta != nil {
			m.opts.OnDelta(&stats.Delta{Errors: []stats.Error{{Message: ex.Msg, Trace: ex.Traceback, Count: 1}}}, id)
		}
	case wire.TypeLogs, wire.TypeLocustfile:
		// Not used by herd.
	default:
		if wire.IsBuiltin(msg.Type) {
			// ack, spawn, stop, ...: master-to-worker types.
			m.warns.warn(time.Now(), "bad_message", "master: dropping an unexpected message", "worker", id, "type", msg.Type)
			return
		}
		if m.opts.OnCustom != nil {
			if c, err := wire.DecodeCustom(msg); err == nil {
				m.opts.OnCustom(id, c.Type, c.Data)
			}
		}
	}
}

// everRegistered reports whether id ever registered: only registered workers
// send anything but client_ready (one removed after missing too long may
// still report what its users did).
func (m *Master) everRegistered(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ever := m.indexes[id]
	return ever
}

// forget tells the socket that id is no longer a worker: a new connection
// with its identity must register again within JoinTimeout.
func (m *Master) forget(id string) {
	if a, ok := m.router.(admitter); ok {
		a.Forget(id)
	}
}

// register accepts a worker's client_ready and acks it.
func (m *Master) register(id string, msg wire.Message) {
	cr, err := wire.DecodeClientReady(msg.Data)
	if err != nil {
		m.warns.warn(time.Now(), "bad_message", "master: refusing a worker with unreadable client_ready", "worker", id, "err", err)
		return
	}
	if !utf8.ValidString(id) {
		// Nothing can be sent to it (Locust also refuses such ids).
		m.warns.warn(time.Now(), "bad_message", "master: refusing a worker whose id is not UTF-8", "worker", id)
		return
	}
	m.mu.Lock()
	if m.quitting {
		m.mu.Unlock()
		// As Locust's master, which stops listening once it quits: no
		// ack, no users. A Locust worker sends client_ready when its
		// post-stop sleep ends, with the quit already waiting for it;
		// any other worker learns here that it must go.
		m.log.Debug("master: quitting: a worker asked to register; telling it to quit", "worker", id)
		m.sendTo(id, wire.Signal{Type: wire.TypeQuit})
		return
	}
	idx, ok := m.indexes[id]
	if !ok {
		idx = len(m.indexes)
		m.indexes[id] = idx
	}
	version := cr.Version
	if cr.Kind == wire.VersionSkipCheck {
		version = "-1"
	}
	herd := m.herdNodes[id]
	m.workers[id] = &worker{
		id: id, index: idx, version: version, state: wire.StateReady, liveness: m.opts.Liveness, herd: herd,
		heartbeats: herd || cr.Kind == wire.VersionSkipCheck ||
			(cr.Kind == wire.VersionText && wire.VersionAtLeast(cr.Version, wire.MasterHeartbeatSince)),
	}
	delete(m.stopping, id)
	running, rebalance := m.running, m.opts.Rebalance || m.open != nil
	// Admitted before the ack, after which the worker sends its reports.
	if a, ok := m.router.(admitter); ok {
		a.Admit(id)
	}
	// The ack is queued before the lock is released: a dispatch, which
	// reads the workers under it, may send this worker a spawn only after
	// its ack (a worker not acked yet drops whatever else comes). SendTo
	// only queues.
	m.sendTo(id, wire.Ack{Index: idx, HasIndex: true})
	m.mu.Unlock()
	if cr.Kind == wire.VersionText && prefix4(cr.Version) != prefix4(m.opts.Version) {
		m.log.Warn("master: worker runs a different Locust protocol version", "worker", id, "version", cr.Version)
	}
	m.log.Info("master: worker connected", "worker", id, "index", idx)
	m.notify()
	if running && rebalance {
		m.redispatch()
	}
}

// userCounts is a worker's reported users per class, made sane: no
// negative counts, none so large that sums overflow.
func userCounts(in map[string]int) map[string]int {
	out := make(map[string]int, len(in))
	for k, v := range in {
		out[k] = min(max(v, 0), math.MaxInt32)
	}
	return out
}

// copyCounts copies counts (made sane already) into dst, reused unless
// it is nil.
func copyCounts(dst, counts map[string]int) map[string]int {
	if dst == nil {
		dst = make(map[string]int, len(counts))
	}
	clear(dst)
	for k, v := range counts {
		dst[k] = v
	}
	return dst
}

// prefix4 is the first four bytes of a version, which Locust compares.
func prefix4(v string) string { return v[:min(4, len(v))] }

// Bounds on what workers may teach the master: a dispatch costs about
// classes × total weight (dispatch's round-robin cycle), and it runs at
// every ramp step.
const (
	maxLearnedClasses = 1000
	maxClassWeight    = 10_000     // per class, weight and fixed count
	maxDispatchCost   = 10_000_000 // classes × total weight, ~10 ms
	maxTotalFixed     = 1_000_000  // over the learnt classes
)

// learn records the classes workers report: herd workers send weights,
// Locust workers only names (weight 1).
func (m *Master) learn(counts map[string]int, classes []Class) {
	var weights, fixed int
	for _, c := range m.learned {
		weights += c.Weight
		fixed += c.FixedCount
	}
	add := func(c Class) {
		old, known := m.learned[c.Name]
		w, f := weights-old.Weight+c.Weight, fixed-old.FixedCount+c.FixedCount
		n := len(m.learned)
		if !known {
			n++
		}
		switch {
		case c.Name == "" || c.Weight < 0 || c.FixedCount < 0 || c.Weight > maxClassWeight || c.FixedCount > maxClassWeight:
			m.log.Warn("master: ignoring a user class a worker described", "class", c.Name, "weight", c.Weight, "fixed_count", c.FixedCount)
		case !known && len(m.learned) >= maxLearnedClasses:
			m.log.Warn("master: too many user classes; ignoring", "class", c.Name)
		case n*w > maxDispatchCost || f > maxTotalFixed:
			m.log.Warn("master: user class weights too large; ignoring", "class", c.Name, "weight", c.Weight, "fixed_count", c.FixedCount)
		default:
			m.learned[c.Name] = c
			weights, fixed = w, f
		}
	}
	for _, c := range classes {
		add(c)
	}
	for name := range counts {
		if _, ok := m.learned[name]; !ok {
			add(Class{Name: name, Weight: 1})
		}
	}
}

// watch marks silent workers missing, then removes them.
func (m *Master) watch(ctx context.Context) {
	t := time.NewTicker(m.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.tick(now)
		}
	}
}

// tick is one liveness tick: every worker's liveness goes down, and
// heartbeats bring it back up.
func (m *Master) tick(now time.Time) {
	var lost, removed bool
	var gone []string
	m.mu.Lock()
	for id, w := range m.workers {
		w.liveness--
		switch {
		case w.missingSince.IsZero() && w.liveness < 0:
			w.missingSince, w.users = now, nil
			delete(m.stopping, id)
			lost = true
			m.log.Warn("master: worker missing (no heartbeat)", "worker", id)
		case !w.missingSince.IsZero() && now.Sub(w.missingSince) >= m.opts.RemoveAfter:
			delete(m.workers, id)
			removed = true
			gone = append(gone, id)
			m.log.Warn("master: worker removed after missing too long", "worker", id)
		}
	}
	m.mu.Unlock()
	m.warns.flush(now)
	for _, id := range gone {
		m.forget(id)
	}
	if lost || removed {
		m.notify()
		m.afterLoss()
		m.mu.Lock()
		open := m.open != nil
		m.mu.Unlock()
		if removed || m.opts.Rebalance || open {
			m.redispatch()
		}
	}
}

// afterLoss ends the test when no active worker remains.
func (m *Master) afterLoss() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.activeLocked()) == 0 && m.running && !m.gone {
		m.log.Warn("master: no worker left")
		m.gone = true
		close(m.allGone)
	}
}

// AllGone is closed when a test was running and its last worker left.
func (m *Master) AllGone() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.allGone
}

// activeLocked is the workers that get users, in Locust's dispatch order:
// by index among the workers of the same host, then node id.
func (m *Master) activeLocked() []*worker {
	var ws []*worker
	for _, w := range m.workers {
		if w.active() {
			ws = append(ws, w)
		}
	}
	slices.SortFunc(ws, func(a, b *worker) int {
		return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.id, b.id))
	})
	return ws
}

// classesLocked is the test's classes, sorted by name.
func (m *Master) classesLocked() []Class {
	cs := m.opts.Classes
	if cs == nil {
		for _, c := range m.learned {
			cs = append(cs, c)
		}
	}
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b Class) int { return cmp.Compare(a.Name, b.Name) })
	return cs
}

// Classes is the user classes the master dispatches.
func (m *Master) Classes() []Class {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.classesLocked()
}

// WaitForWorkers waits until n workers are connected and ready (and, for
// a master without the test's classes, until a worker reported them), or
// ctx ends.
func (m *Master) WaitForWorkers(ctx context.Context, n int) error {
	have := 0
	ready := func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		have = len(m.activeLocked())
		return have >= n && (m.opts.Classes != nil || len(m.learned) > 0)
	}
	if !m.await(ctx, ready) {
		return fmt.Errorf("%d of %d workers connected: %w", have, n, ctx.Err())
	}
	return nil
}

// await waits until cond holds (true) or ctx ends (false), checking again
// whenever the workers' state changes and at least every 50 ms.
func (m *Master) await(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-m.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true
}

// Workers lists the workers, missing ones included.
func (m *Master) Workers() []WorkerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]WorkerInfo, 0, len(m.workers))
	for _, w := range m.workers {
		state := w.state
		if !w.missingSince.IsZero() {
			state = "missing"
		}
		out = append(out, WorkerInfo{ID: w.id, Index: w.index, State: state, Users: sum(w.users),
			CPU: w.cpu, Memory: w.mem, Version: w.version})
	}
	slices.SortFunc(out, func(a, b WorkerInfo) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// UserCount is the users the workers report running.
func (m *Master) UserCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, w := range m.workers {
		if w.active() {
			n += sum(w.users)
		}
	}
	return n
}

// CountsByType is the users per class the workers report.
func (m *Master) CountsByType() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, c := range m.classesLocked() {
		out[c.Name] = 0
	}
	for _, w := range m.workers {
		if w.active() {
			for k, v := range w.users {
				out[k] += v
			}
		}
	}
	return out
}

// rampStep is Locust's dispatch step: max(1, ⌊rate⌋) users, then a pause
// of that many users' worth of the rate.
func rampStep(rate float64) (int, time.Duration) {
	if rate <= 0 || math.IsInf(rate, 1) {
		return math.MaxInt32, 0
	}
	n := max(1, int(math.Floor(rate)))
	return n, time.Duration(float64(n) / rate * float64(time.Second))
}

// Restrict dispatches only the named classes from the next step on (every
// class when names is empty), e.g. for a load shape's user types or the
// web UI's class picker. Classes keep their weights among themselves.
func (m *Master) Restrict(names []string) {
	m.mu.Lock()
	m.only = slices.Clone(names)
	m.mu.Unlock()
}

// Start ramps the workers' users to target at rate users a second, in
// Locust's steps; a running test changes its target. onDone runs when the
// workers report the target.
func (m *Master) Start(target int, rate float64, host string, stopTimeout time.Duration, onDone func(users int)) error {
	m.mu.Lock()
	if m.quitting {
		m.mu.Unlock()
		return errQuitting
	}
	if len(m.activeLocked()) == 0 {
		m.mu.Unlock()
		return errors.New("no worker is connected")
	}
	if m.open != nil {
		m.mu.Unlock()
		return errors.New("an arrival-rate run has no user count to change: stop it first")
	}
	if m.ramp != nil {
		m.ramp()
	}
	if !m.running {
		m.newTestLocked()
	}
	m.running, m.target, m.host, m.stopWait = true, target, host, stopTimeout
	ctx, cancel := context.WithCancel(context.Background())
	m.ramp = cancel
	from := m.placed
	m.mu.Unlock()

	m.rampWG.Go(func() {
		defer cancel()
		step, pause := rampStep(rate)
		n := from
		for {
			if n < target {
				n = min(n+step, target)
			} else if n > target {
				n = max(n-step, target)
			}
			if !m.dispatchTo(n, ctx) {
				return
			}
			if n == target {
				m.awaitCounts(ctx, target)
				if onDone != nil && ctx.Err() == nil {
					onDone(m.UserCount())
				}
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
		}
	})
	return nil
}

// awaitCounts waits (at most a second, as Locust) for the workers to report
// the target.
func (m *Master) awaitCounts(ctx context.Context, target int) {
	ctx, cancel := context.WithTimeout(ctx, time.Second+m.opts.Tick)
	defer cancel()
	m.await(ctx, func() bool { return m.UserCount() == target })
}

// dispatchTo places n users (n < 0: the current placement) over the
// active workers and sends each its spawn message. It returns false when
// the ramp was cancelled.
func (m *Master) dispatchTo(n int, ctx context.Context) bool {
	m.dispatchMu.Lock()
	defer m.dispatchMu.Unlock()
	m.mu.Lock()
	if ctx.Err() != nil || !m.running {
		m.mu.Unlock()
		return false
	}
	if n < 0 {
		n = m.placed
	}
	m.placed = n
	ws := m.activeLocked()
	classes := m.classesLocked()
	host, stop, only := m.host, m.stopWait, m.only
	m.mu.Unlock()
	if len(ws) == 0 {
		return true
	}
	if len(classes) == 0 {
		m.log.Warn("master: no user class known yet (workers list theirs in their first report)")
		return true
	}
	types := make([]dispatch.Type, len(classes))
	for i, c := range classes {
		types[i] = dispatch.Type{Weight: c.Weight, Fixed: c.FixedCount}
		if c.Weight == 0 && c.FixedCount == 0 {
			types[i].Weight = 1
		}
		if len(only) > 0 && !slices.Contains(only, c.Name) {
			types[i] = dispatch.Type{}
		}
	}
	plan, err := dispatch.New(types)
	if err != nil {
		m.log.Error("master: cannot place users", "err", err)
		return false
	}
	spread := plan.Spread(n, len(ws))
	secs := wire.FloatNumber(stop.Seconds())
	for i, w := range ws {
		counts := make(map[string]int, len(classes))
		for j, c := range classes {
			counts[c.Name] = spread[i][j]
		}
		h := host
		m.sendSpawn(w.id, wire.Spawn{Timestamp: m.nextTimestamp(), UserClassesCount: counts, Host: &h,
			StopTimeout: &secs, ParsedOptions: m.parsedOptions()})
	}
	return true
}

// nextTimestamp is a spawn timestamp strictly greater than every earlier
// one, as workers drop stale spawns.
func (m *Master) nextTimestamp() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := float64(time.Now().UnixNano()) / 1e9
	if ts <= m.lastTS {
		ts = math.Nextafter(m.lastTS, math.Inf(1))
	}
	m.lastTS = ts
	return ts
}

// redispatch asks for the current placement to be sent again over the
// current workers, off the caller's goroutine (redispatcher). Requests
// that come while one is being sent are served by one more: a burst of
// workers joining, leaving or coming back costs two dispatches, not one
// each. With 1,000 workers a dispatch is 1,000 spawn messages, and one
// per worker coming back after a stall of the master (its heartbeats all
// late at once) kept the master's receive goroutine busy long enough for
// more workers to go missing, and so on.
func (m *Master) redispatch() {
	select {
	case m.redo <- struct{}{}:
	default: // one is pending already: it will see this change too
	}
}

// redispatcher sends the placement again whenever redispatch asks, until
// ctx ends.
func (m *Master) redispatcher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.redo:
			m.redispatchNow()
		}
	}
}

// redispatchNow re-sends the current placement over the current workers.
func (m *Master) redispatchNow() {
	m.mu.Lock()
	open := m.open != nil
	m.mu.Unlock()
	if open {
		m.dispatchOpen()
		return
	}
	m.dispatchTo(-1, context.Background())
}

// Stop tells every worker to stop and waits (at most the stop timeout plus
// grace) until each active one confirmed (client_stopped), left or went
// missing. It returns how many users were still reported when it gave up.
//
// A herd worker sends its final report before it confirms, so its
// statistics are complete when Stop returns; a Locust worker sends the
// rest of its statistics with its next periodic report, up to 3 s later:
// call AwaitFinalReports before writing final reports.
func (m *Master) Stop(grace time.Duration) int {
	m.mu.Lock()
	m.running, m.placed = false, 0
	m.stopping = map[string]bool{}
	for _, w := range m.activeLocked() {
		m.stopping[w.id] = true
	}
	wait := m.stopWait + grace
	m.mu.Unlock()
	m.halt(wire.TypeStop)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if m.await(ctx, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.stopping) == 0
	}) {
		return 0
	}
	return m.UserCount()
}

// Quit tells every worker to quit and waits, at most wait, until every
// worker that still heartbeats has left (a worker sends its last report
// before it leaves). From then on no worker registers: a client_ready is
// answered with quit.
//
// It returns, sorted, the workers whose final statistics are missing, and
// logs a warning for each: workers given users that neither left nor,
// after a Stop, delivered their last report (see AwaitFinalReports). A
// Locust worker handles the quit only once the sleep of its stop timeout
// after a stop is over; one still asleep at the end of wait is not named
// when its statistics are complete, and gets the quit all the same (Close
// delivers what was sent).
func (m *Master) Quit(wait time.Duration) (missing []string) {
	m.mu.Lock()
	m.quitting = true
	m.mu.Unlock()
	m.halt(wire.TypeQuit)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m.await(ctx, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, w := range m.workers {
			if w.missingSince.IsZero() {
				return false
			}
		}
		return true
	})
	m.mu.Lock()
	for id, w := range m.workers {
		if _, owes := m.owed[id]; !owes {
			m.log.Info("master: worker did not leave in time; its statistics are complete", "worker", id,
				"missing", !w.missingSince.IsZero())
		}
	}
	m.mu.Unlock()
	return m.missingReports()
}

// halt ends the test's ramp and sends every known worker a stop or quit
// signal, after any dispatch in progress. It does not wait for the ramp's
// goroutine, which may be in its onDone (Close waits for it): a dispatch
// that starts later sees the test stopped, so no spawn follows the signal.
func (m *Master) halt(signal string) {
	m.mu.Lock()
	if m.ramp != nil {
		m.ramp()
	}
	m.running, m.open = false, nil
	ids := make([]string, 0, len(m.workers))
	for id := range m.workers {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	m.dispatchMu.Lock()
	for _, id := range ids {
		m.sendTo(id, wire.Signal{Type: signal})
	}
	m.dispatchMu.Unlock()
}

// Send sends a custom message to one worker, or to every worker when to is "".
func (m *Master) Send(typ string, data any, to string) error {
	if wire.IsBuiltin(typ) {
		return fmt.Errorf("%q is a protocol message type", typ)
	}
	m.mu.Lock()
	var ids []string
	for id := range m.workers {
		if to == "" || id == to {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	if len(ids) == 0 {
		return fmt.Errorf("no worker %q", to)
	}
	for _, id := range ids {
		m.sendTo(id, wire.Custom{Type: typ, Data: data})
	}
	return nil
}

// ActiveWorkers is the number of workers that get users.
func (m *Master) ActiveWorkers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.activeLocked())
}

// parsedOptions is the parsed_options of a spawn: never nil, as Locust
// workers read it as a dict.
func (m *Master) parsedOptions() map[string]any {
	if m.opts.ParsedOptions != nil {
		if o := m.opts.ParsedOptions(); o != nil {
			return o
		}
	}
	return map[string]any{}
}
