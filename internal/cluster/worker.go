package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/cpu"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// Local is the worker's own runner, as the protocol needs it.
type Local interface {
	// Apply sets the absolute number of users of each class, starting or
	// stopping users at once; host ("" keeps the current one) and stop
	// timeout come from the master. The first Apply of a test starts it.
	//
	// The worker calls Apply off its message loop, and may call Apply
	// again, or Stop, on another goroutine while it runs: the running
	// Apply should then return early (herd's runner does, between two
	// chunks of users). After overlapping Applies, the worker calls Apply
	// once more with the newest counts. Counts and TakeDelta are called
	// while Apply runs, too.
	Apply(counts map[string]int, host string, stopTimeout time.Duration)
	// Stop stops every user (gracefully within the stop timeout) and
	// returns when they stopped; it ends the test.
	Stop()
	// Counts is the number of users of every class, zeros included.
	Counts() map[string]int
	// TakeDelta returns the statistics recorded since the previous call.
	TakeDelta(now time.Time) *stats.Delta
	// Classes describes the user classes for a herd master.
	Classes() []Class
}

// WorkerOptions configure a worker. Zero durations take Locust's values.
type WorkerOptions struct {
	Master  string // "tcp://host:port"
	NodeID  string // wire.NewNodeID() when empty
	Version string // sent in client_ready; Locust masters accept "2.12.1"-style text
	Logger  *slog.Logger
	// Token is the master's secret (MasterOptions.Token), presented in the
	// connection's handshake; "" presents none.
	Token string

	HeartbeatEvery time.Duration // 1 s
	ReportEvery    time.Duration // 3 s
	// ReadyRetry is the pause between client_ready attempts, the longest
	// between connection attempts (they begin 1 s apart and double), and
	// the bound of one connection attempt; 5 s, Locust's.
	ReadyRetry time.Duration
	// ReadyTries bounds the connection attempts, then the client_ready
	// attempts: the worker gives up after as many failed ones; 60.
	ReadyTries int
	// MasterTimeout ends the worker when a master that sent heartbeats
	// stops sending them (Locust ≥ 2.19 masters); 60 s. Time during which
	// this worker itself did not run (a stopped process, a suspended
	// machine) does not count: after such a pause the worker registers
	// again if its master forgot it meanwhile.
	MasterTimeout time.Duration
	// OnCustom receives custom messages from the master.
	OnCustom func(typ string, data any)
	// OnRegistered runs once, synchronously, after the master's first ack,
	// with the worker index it gave and a way to send custom messages to
	// it; no message from the master is handled before it returns (a spawn
	// waits), while heartbeats go on. It is the place for init listeners,
	// which Locust fires once the index is known. An error ends RunWorker
	// with that error wrapped, after telling the master this worker quits.
	// It is not called again when the worker registers again after each
	// stop, or after a pause: the master's later acks carry the same index
	// (a master keeps a node's index for its lifetime).
	OnRegistered func(ctx context.Context, index int, send func(typ string, data any) error) error
	// OnConnected runs just before OnRegistered, with the same arguments.
	//
	// Deprecated: use OnRegistered, which can fail and gets a context.
	OnConnected func(index int, send func(typ string, data any) error)
	// ReportExtra adds custom keys to each stats report (Locust's
	// report_to_master); a master's OnReportExtra receives them.
	ReportExtra func() map[string]any
	// OnParsedOptions receives each spawn's parsed_options (the master's
	// options) before its users start, on the message loop.
	OnParsedOptions func(map[string]any)
	// OnSpawningComplete runs when the worker confirms a spawn to its
	// master (Locust's spawning_complete event on a worker), with the
	// users running. A spawn that a newer one, a stop or a quit
	// interrupted is not confirmed.
	OnSpawningComplete func(users int)
}

func (o *WorkerOptions) defaults() {
	if o.NodeID == "" {
		o.NodeID = wire.NewNodeID()
	}
	if o.Version == "" {
		o.Version = wire.LocustVersion
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.HeartbeatEvery = cmpOr(o.HeartbeatEvery, time.Second)
	o.ReportEvery = cmpOr(o.ReportEvery, 3*time.Second)
	o.ReadyRetry = cmpOr(o.ReadyRetry, 5*time.Second)
	o.MasterTimeout = cmpOr(o.MasterTimeout, 60*time.Second)
	if o.ReadyTries <= 0 {
		o.ReadyTries = 60
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ErrMasterGone is returned when the master stopped answering.
var ErrMasterGone = errors.New("cluster: the master stopped sending heartbeats")

// masterConn is the worker's socket to its master: a *transport.Dealer, or
// an in-memory one in tests.
type masterConn interface {
	Send(payload []byte) error
	Recv(ctx context.Context) ([]byte, error)
	Reconnect() error
	Close() error
}

// Worker is one worker's connection to its master.
type Worker struct {
	opts  WorkerOptions
	local Local
	conn  masterConn
	log   *slog.Logger
	meter *cpu.Meter

	stateMu    sync.Mutex
	state      string // read by the heartbeat goroutine
	index      int
	lastSpawn  float64
	host       string
	stopWait   time.Duration
	watch      masterWatch        // the master's heartbeats (worker_liveness.go)
	paused     chan time.Duration // the heartbeat timer fired this late: the process did not run
	rejoining  bool               // registering again after a pause: the ack is due
	readyAgain <-chan time.Time   // after a stop: when to send client_ready
	failing    atomic.Bool        // the last send failed (log once)

	// The open model (open.go), used by the serve goroutine only.
	openRun  int64      // the running open-model run's start (Unix ns), 0 if none
	openDone int64      // the run whose share is over, reported to the master
	openEnd  chan int64 // a share's schedule is over

	spawns *spawner // the spawns in progress (worker_spawn.go)
}

// RunWorker connects to the master and runs its orders until it says quit
// (nil), ctx ends (a graceful stop: users stop, the master is told), or
// the master is lost (ErrMasterGone, or an error when it never answered).
func RunWorker(ctx context.Context, opts WorkerOptions, local Local) error {
	opts.defaults()
	log := opts.Logger.With("node", opts.NodeID)
	conn, err := dialMaster(ctx, opts, log)
	if err != nil {
		return err
	}
	return runWorkerOn(ctx, opts, local, conn, log)
}

// dialMaster connects to the master. A failed attempt is logged at once
// with its error; the next one follows a pause that doubles from 1 s up
// to ReadyRetry, and after ReadyTries failed attempts it gives up. Later,
// the Dealer reconnects on its own after a lost connection, with the same
// pauses, logged from the second failed attempt on (a master that quits
// closes its side before this worker has read its quit).
func dialMaster(ctx context.Context, opts WorkerOptions, log *slog.Logger) (*transport.Dealer, error) {
	ctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	start := time.Now()
	var failed int // DialDealer's monitor runs on this goroutine until it returns
	var last error
	conn, err := transport.DialDealer(ctx, opts.Master, opts.NodeID,
		transport.WithToken(opts.Token),
		transport.WithHandshakeTimeout(opts.ReadyRetry),
		transport.WithReconnectInterval(min(time.Second, opts.ReadyRetry)),
		transport.WithReconnectIntervalMax(opts.ReadyRetry),
		transport.WithDialMonitor(func(a transport.DialAttempt) {
			switch {
			case a.Reconnect:
				logRedial(log, opts.Master, a)
			case a.Err == nil:
			case a.Try >= opts.ReadyTries:
				failed, last = a.Try, a.Err
				giveUp()
			default:
				failed, last = a.Try, a.Err
				log.Warn("cannot connect to the master", "master", opts.Master,
					"try", fmt.Sprintf("%d/%d", a.Try, opts.ReadyTries), "retry_in", a.Wait, "err", a.Err)
			}
		}))
	switch {
	case err != nil && failed >= opts.ReadyTries:
		return nil, fmt.Errorf("cannot connect to the master at %s: %d attempts in %v failed, the last with: %w",
			opts.Master, failed, time.Since(start).Round(time.Second), last)
	case err != nil:
		return nil, fmt.Errorf("connecting to the master at %s: %w", opts.Master, err)
	}
	return conn, nil
}

// logRedial logs the Dealer's attempts to reconnect to the master.
func logRedial(log *slog.Logger, master string, a transport.DialAttempt) {
	switch {
	case a.Err != nil && a.Try == 1:
		log.Debug("the connection to the master was lost; reconnecting", "master", master, "err", a.Err)
	case a.Err != nil:
		log.Warn("cannot reconnect to the master", "master", master, "try", a.Try, "retry_in", a.Wait, "err", a.Err)
	case a.Try > 2: // after a warning
		log.Info("reconnected to the master", "master", master, "attempts", a.Try)
	default:
		log.Debug("reconnected to the master", "master", master)
	}
}

// runWorkerOn is RunWorker over a connection made.
func runWorkerOn(ctx context.Context, opts WorkerOptions, local Local, conn masterConn, log *slog.Logger) error {
	defer conn.Close()
	w := &Worker{opts: opts, local: local, conn: conn, log: log, meter: cpu.NewMeter(time.Now()),
		watch: newMasterWatch(opts.HeartbeatEvery, opts.MasterTimeout), paused: make(chan time.Duration, 1),
		openEnd: make(chan int64, 1)}
	w.spawns = &spawner{setState: w.setState}
	if err := w.register(ctx); errors.Is(err, errQuitBeforeAck) {
		w.log.Info("the master is quitting: not registering")
		return nil
	} else if err != nil {
		return err
	}
	// Heartbeats from now on: a slow OnRegistered must not look like a
	// lost worker.
	stopBeats := w.beat()
	defer stopBeats()
	if opts.OnConnected != nil {
		opts.OnConnected(w.index, w.sendCustom)
	}
	if opts.OnRegistered != nil {
		if err := opts.OnRegistered(ctx, w.index, w.sendCustom); err != nil {
			stopBeats()
			w.send(wire.Signal{Type: wire.TypeQuit})
			w.conn.Close() // flushes the quit
			return fmt.Errorf("worker start-up (index %d): %w", w.index, err)
		}
	}
	return w.serve(ctx, stopBeats)
}

// sendCustom sends a custom message to the master.
func (w *Worker) sendCustom(typ string, data any) error {
	if wire.IsBuiltin(typ) {
		return fmt.Errorf("%q is a protocol message type", typ)
	}
	frame, err := wire.EncodePayload(w.opts.NodeID, wire.Custom{Type: typ, Data: data})
	if err != nil {
		return err
	}
	return w.conn.Send(frame)
}

func (w *Worker) send(p wire.Payload) {
	frame, err := wire.EncodePayload(w.opts.NodeID, p)
	if err == nil {
		err = w.conn.Send(frame)
	}
	switch {
	case err != nil && !w.failing.Swap(true):
		w.log.Warn("sending to the master failed", "type", p.MessageType(), "err", err)
	case err != nil:
		w.log.Debug("sending to the master failed", "type", p.MessageType(), "err", err)
	case w.failing.Swap(false):
		w.log.Info("sending to the master works again")
	}
}

// errQuitBeforeAck: the master answered client_ready with quit (it is
// shutting down).
var errQuitBeforeAck = errors.New("the master said quit")

// register sends client_ready until the master acks it, or says quit.
func (w *Worker) register(ctx context.Context) error {
	for try := range w.opts.ReadyTries {
		w.send(wire.ClientReadyVersion(w.opts.Version))
		deadline, cancel := context.WithTimeout(ctx, w.opts.ReadyRetry)
		for {
			m, err := w.recv(deadline)
			if err != nil {
				break
			}
			if m.Type == wire.TypeQuit {
				cancel()
				return errQuitBeforeAck
			}
			if m.Type == wire.TypeAck {
				cancel()
				ack, _ := wire.DecodeAck(m.Data)
				w.index = ack.Index
				w.setState(wire.StateReady)
				w.log.Info("connected to the master", "master", w.opts.Master, "index", w.index)
				return nil
			}
		}
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.log.Info("waiting for the master to acknowledge", "master", w.opts.Master, "try", try+1)
	}
	return fmt.Errorf("the master at %s never acknowledged this worker", w.opts.Master)
}

func (w *Worker) recv(ctx context.Context) (wire.Message, error) {
	for {
		frame, err := w.conn.Recv(ctx)
		var pe *transport.PeerError
		if errors.As(err, &pe) {
			// A multi-frame or oversized message: not fatal.
			w.log.Warn("dropping a malformed message from the master", "err", err)
			continue
		}
		if err != nil {
			return wire.Message{}, err
		}
		m, err := wire.Decode(frame)
		if err != nil {
			w.log.Warn("dropping an undecodable message from the master", "err", err)
			continue
		}
		return m, nil
	}
}

// serve handles the master's messages; stopBeats ends the heartbeats.
// Spawns run on goroutines of their own, ended and joined before it
// returns.
func (w *Worker) serve(ctx context.Context, stopBeats func()) error {
	defer func() {
		// On the paths that did not stop the test (the connection closed).
		if w.spawns.end(w.local.Stop) {
			w.local.Stop()
		}
	}()
	msgs := make(chan wire.Message, 64)
	recvCtx, stopRecv := context.WithCancel(context.Background())
	var recvWG sync.WaitGroup
	defer recvWG.Wait()
	defer stopRecv() // before the Wait
	recvWG.Go(func() {
		defer close(msgs)
		for {
			m, err := w.recv(recvCtx)
			if err != nil {
				return
			}
			select {
			case msgs <- m:
			case <-recvCtx.Done():
				return
			}
		}
	})
	check := time.NewTicker(w.opts.HeartbeatEvery)
	defer check.Stop()
	rep := time.NewTicker(w.opts.ReportEvery)
	defer rep.Stop()
	w.report() // the first report lists the classes (Locust workers do so)
	for {
		select {
		case <-ctx.Done():
			w.stopLocal()
			stopBeats()
			// The last statistics first: masters merge reports from any
			// node, so nothing this worker did is lost when it leaves.
			w.report()
			w.send(wire.Signal{Type: wire.TypeQuit})
			w.conn.Close() // flushes the queue
			return nil
		case due := <-check.C:
			now := time.Now()
			switch w.watch.check(due, now) {
			case masterGone:
				stopBeats()
				w.stopLocal()
				return fmt.Errorf("%w (none for %v)", ErrMasterGone, w.opts.MasterTimeout)
			case masterQuiet:
				w.log.Warn("no heartbeat from the master", "master", w.opts.Master,
					"for", w.watch.silence(now).Round(time.Millisecond), "leaving_after", w.opts.MasterTimeout)
			case masterForgot:
				w.rejoin()
			}
		case p := <-w.paused:
			w.log.Warn("this worker did not run for a while: its process was stopped or starved", "for", p.Round(time.Millisecond))
			w.watch.paused(time.Now())
		case <-rep.C:
			w.report()
		case run := <-w.openEnd:
			if run == w.openRun {
				w.openDone = run
				w.report() // the master learns at once
			}
		case <-w.readyAgain:
			w.readyAgain = nil
			w.setState(wire.StateReady)
			w.send(wire.ClientReadyVersion(w.opts.Version))
		case m, ok := <-msgs:
			if !ok {
				return errors.New("cluster: connection to the master closed")
			}
			if done := w.handle(m, stopBeats); done {
				return nil
			}
		}
	}
}

// handle acts on one message from the master; true means quit.
// stopBeats ends the heartbeats.
func (w *Worker) handle(m wire.Message, stopBeats func()) bool {
	switch m.Type {
	case wire.TypeSpawn:
		w.send(wire.Signal{Type: wire.TypeSpawning})
		sp, err := wire.DecodeSpawn(m.Data)
		if err != nil {
			w.log.Warn("dropping a malformed spawn", "err", err)
			return false
		}
		if sp.Timestamp <= w.lastSpawn {
			w.log.Debug("dropping a stale spawn", "timestamp", sp.Timestamp)
			return false
		}
		w.lastSpawn = sp.Timestamp
		if sp.Host != nil && *sp.Host != "" {
			w.host = *sp.Host
		}
		if sp.StopTimeout != nil {
			w.stopWait = time.Duration(sp.StopTimeout.Float64() * float64(time.Second))
		}
		if w.opts.OnParsedOptions != nil {
			w.opts.OnParsedOptions(sp.ParsedOptions)
		}
		x, err := decodeSpawnExt(sp)
		if err != nil {
			w.log.Warn("ignoring a malformed herd spawn extension", "err", err)
		}
		if w.getState() == wire.StateReady {
			w.local.TakeDelta(time.Now()) // a new test starts from empty statistics
		}
		// Off this loop (worker_spawn.go): a stop, a quit or a newer
		// spawn gets through at once; spawning_complete follows the
		// newest spawn's end.
		if x != nil && x.Open != nil {
			w.spawnOpen(x.Open)
		} else {
			w.spawnCounts(sp.UserClassesCount, w.host, w.stopWait)
		}
	case wire.TypeStop:
		w.stopLocal()
		w.openRun, w.openDone = 0, 0
		w.report()
		w.send(wire.Signal{Type: wire.TypeClientStopped})
		// Locust waits the stop timeout before registering again; the
		// heartbeats go on meanwhile.
		w.readyAgain = time.After(w.stopWait)
	case wire.TypeQuit:
		w.stopLocal()
		stopBeats()
		w.report()
		w.send(wire.Signal{Type: wire.TypeQuit})
		w.conn.Close() // flushes the final report
		return true
	case wire.TypeReconnect:
		if err := w.conn.Reconnect(); err != nil {
			w.log.Warn("reconnecting to the master failed", "err", err)
		}
	case wire.TypeHeartbeat:
		if w.watch.seen.IsZero() {
			w.log.Debug("the master sends heartbeats: this worker leaves when they stop", "timeout", w.opts.MasterTimeout)
		}
		if silence := w.watch.heartbeat(time.Now()); silence > 0 {
			w.log.Info("heartbeats from the master again", "master", w.opts.Master, "after", silence.Round(time.Millisecond))
		}
	case wire.TypeAck:
		// The ack of a registration after a stop or a pause (or a late
		// one of the first): OnRegistered ran once already.
		if ack, err := wire.DecodeAck(m.Data); err == nil && ack.HasIndex && ack.Index != w.index {
			w.log.Warn("the master acknowledged this worker again with another index; keeping the first",
				"index", w.index, "new_index", ack.Index)
		}
		if w.rejoining {
			w.rejoining = false
			w.log.Info("registered with the master again", "master", w.opts.Master, "index", w.index)
		}
		w.setState(wire.StateReady)
	case wire.TypeSpawningComplete, wire.TypeUpdateUserClass:
		// Newer masters' notices; nothing to do.
	default:
		if w.opts.OnCustom != nil && !wire.IsBuiltin(m.Type) {
			c, err := wire.DecodeCustom(m)
			if err == nil {
				w.opts.OnCustom(c.Type, c.Data)
			}
		}
	}
	return false
}

// rejoin registers this worker with its master again after a pause that
// made the master forget it. The master gave its users to other workers
// (or ended the test when it had none left), so they stop first, and
// their last statistics go out: masters merge any node's reports.
func (w *Worker) rejoin() {
	w.log.Warn("the master has not answered since this worker's pause: it must have removed this worker; stopping the users and registering again",
		"master", w.opts.Master)
	w.stopLocal()
	w.openRun, w.openDone = 0, 0
	w.report()
	w.readyAgain = nil
	w.rejoining = true
	w.setState(wire.StateReady)
	w.send(wire.ClientReadyVersion(w.opts.Version))
}

// stopLocal ends the spawns in progress (interrupting them) and stops the
// users.
func (w *Worker) stopLocal() {
	w.spawns.end(w.local.Stop)
	w.local.Stop()
}

// spawnOpen starts this worker's share of an open-model run, or changes
// the share of the running one, as spawns do: off the message loop (a
// pool starts in chunks, and stopping a replaced run takes its stop
// timeout), after the older spawns.
func (w *Worker) spawnOpen(x *openExt) {
	ol, ok := w.local.(OpenLocal)
	if !ok {
		w.log.Error("the master asked for an arrival-rate run, which this worker cannot run")
		w.spawnNothing()
		return
	}
	s, err := x.share()
	if err != nil {
		w.log.Warn("ignoring a malformed open-model share", "err", err)
		w.spawnNothing()
		return
	}
	run := s.Start.UnixNano()
	if run == w.openRun {
		w.log.Info("new share of the arrival rate", "share", s.Share, "of", s.Shares, "from", s.From)
		// After the run's start: it must not be lost, nor supersede it.
		w.spawns.start(false, func(j *spawnJob) {
			j.wait()
			if !j.enter() {
				return
			}
			ol.Reshare(s)
			j.leave()
			w.spawned(j)
		})
		return
	}
	replace := w.openRun != 0 // a new run replaces the old one
	w.openRun, w.openDone = run, 0
	w.log.Info("starting a share of the arrival rate", "share", s.Share, "of", s.Shares, "pool", s.Pool, "max_users", s.MaxUsers)
	end := func() {
		select {
		case w.openEnd <- run:
		default:
		}
	}
	host, stopWait := w.host, w.stopWait
	w.spawns.start(true, func(j *spawnJob) {
		if replace && j.busy && j.enter() {
			ol.Stop() // interrupts the old run's start
			j.leave()
		}
		j.wait()
		if !j.enter() {
			return
		}
		if replace {
			ol.Stop()
		}
		if err := ol.StartOpen(s, host, stopWait, end); err != nil {
			w.log.Error("cannot start the arrival-rate run", "err", err)
		}
		j.leave()
		w.spawned(j)
	})
}

func (w *Worker) heartbeat() {
	share, _ := w.meter.Sample(time.Now())
	w.send(wire.Heartbeat{State: w.getState(), CurrentCPUUsage: share * 100, CurrentMemoryUsage: rss()})
}

func (w *Worker) setState(s string) {
	w.stateMu.Lock()
	w.state = s
	w.stateMu.Unlock()
}

func (w *Worker) getState() string {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	return w.state
}

// beat sends heartbeats until the returned function is called (which
// waits for the last one). They have their own goroutine because
// stopping users may take the stop timeout, and a master marks a worker
// missing after a few seconds of silence.
func (w *Worker) beat() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.opts.HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case due := <-t.C:
				// Late by more than a heartbeat or two: this process
				// did not run (nothing else holds up this goroutine).
				late := time.Since(due)
				w.heartbeat()
				if late >= pauseMin(w.opts.HeartbeatEvery) {
					select {
					case w.paused <- late:
					default:
					}
				}
			}
		}
	})
	return sync.OnceFunc(func() {
		close(done)
		wg.Wait()
	})
}

// reportKeys are the stats report's own keys.
var reportKeys = map[string]bool{"stats": true, "stats_total": true, "errors": true, "user_classes_count": true, "user_count": true}

// maxExceptions caps the exception messages sent with one report.
const maxExceptions = 100

func (w *Worker) report() {
	counts := w.local.Counts()
	d := w.local.TakeDelta(time.Now())
	r, err := toReportDone(d, counts, w.local.Classes(), w.openDone)
	if err != nil {
		w.log.Error("building the stats report", "err", err)
		return
	}
	if w.opts.ReportExtra != nil {
		for k, v := range w.opts.ReportExtra() {
			if k == extKey || reportKeys[k] {
				w.log.Warn("ignoring a report key that the protocol uses", "key", k)
				continue
			}
			raw, err := wire.EncodeValue(v)
			if err != nil {
				w.log.Warn("cannot encode custom report data", "key", k, "err", err)
				continue
			}
			r.Extra[k] = raw
		}
	}
	w.send(r)
	// A Locust master learns of errors in user code only from exception
	// messages, one per occurrence (a herd master ignores them: the
	// report's extension has the exact counts).
	left := maxExceptions
	for _, e := range d.Errors {
		for range min(e.Count, uint64(left)) {
			w.send(wire.Exception{Msg: e.Message, Traceback: e.Trace})
			left--
		}
	}
	if left == 0 {
		w.log.Debug("too many errors to forward each one as an exception message", "limit", maxExceptions)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
