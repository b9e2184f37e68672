package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// The open model on a cluster (--arrival-rate on a master). The master owns
// the rate: it picks a shared time zero slightly in the future and gives
// each of the n herd workers taking part its share i of n, the iterations
// k ≡ i (mod n) of the one schedule, so the shares together are exactly the
// schedule. Everything rides in a "herd" key of the spawn message, which
// Locust workers would ignore; since they could not run the open model, a
// master refuses to start one while a Locust worker is connected.
//
// Workers that join or leave during the run: the master gives out new
// shares over the workers then taking part, valid from a new boundary
// (OpenShare.From, an offset of the schedule about OpenLead in the
// future); iterations due before it stay with the old shares. A worker
// that leaves loses the iterations of its share that were due between its
// last report and that boundary (at most the time to notice it left plus
// the lead); they are neither run nor counted. A worker that went missing
// (4 s without heartbeats: killed, or cut off) counts as gone; if it was
// only cut off, it keeps running its old share meanwhile, so from the
// re-share boundary until it is back (and shares again) its share runs
// twice. Pool and maximum users are split when a worker starts its share
// and are not changed by a re-share.

// OpenPlan is an open-model run as the master hands it out.
type OpenPlan struct {
	Rate     string // the --arrival-rate spec (shape.ParseRate)
	Poisson  bool
	Seed     uint64
	Pool     int           // users started up front, over all workers
	MaxUsers int           // the pools may grow to this many, over all workers
	MaxLate  time.Duration // --max-lateness; 0: the worker's default
}

// OpenShare is one worker's part of an open-model run: what the spawn's
// herd extension carries.
type OpenShare struct {
	Rate    string
	Poisson bool
	Seed    uint64
	// Start is the schedule's shared time zero; it also names the run.
	Start time.Time
	// Share and Shares: this worker runs the iterations k ≡ Share (mod
	// Shares) that are due at From or later.
	Share, Shares int
	From          time.Duration
	Pool          int // this worker's users started up front
	MaxUsers      int // this worker's pool may grow to this many
	MaxLate       time.Duration
}

// OpenLocal is a worker's runner that can run the open model; herd's
// workers implement it.
type OpenLocal interface {
	Local
	// StartOpen starts an open-model run with s (From is 0 for a worker
	// that is there from the start). end runs once the share's schedule
	// is over and its iterations ran.
	StartOpen(s OpenShare, host string, stopTimeout time.Duration, end func()) error
	// Reshare changes the running run's share from s.From on.
	Reshare(s OpenShare)
}

// spawnExt is the "herd" key of a spawn message:
//
//	{"v": 1, "open": {"rate": str, "arrivals": "uniform"|"poisson", "seed": uint64,
//	  "start": int (Unix ns), "share": int, "shares": int, "from": int (ns),
//	  "pool": int, "max_users": int, "max_lateness": int (ns)}}
type spawnExt struct {
	V    int      `msgpack:"v"`
	Open *openExt `msgpack:"open,omitempty"`
}

type openExt struct {
	Rate     string `msgpack:"rate"`
	Arrivals string `msgpack:"arrivals"`
	Seed     uint64 `msgpack:"seed"`
	Start    int64  `msgpack:"start"`
	Share    int    `msgpack:"share"`
	Shares   int    `msgpack:"shares"`
	From     int64  `msgpack:"from"`
	Pool     int    `msgpack:"pool"`
	MaxUsers int    `msgpack:"max_users"`
	MaxLate  int64  `msgpack:"max_lateness"`
}

func (s OpenShare) ext() *openExt {
	arr := "uniform"
	if s.Poisson {
		arr = "poisson"
	}
	return &openExt{Rate: s.Rate, Arrivals: arr, Seed: s.Seed, Start: s.Start.UnixNano(), Share: s.Share,
		Shares: s.Shares, From: int64(s.From), Pool: s.Pool, MaxUsers: s.MaxUsers, MaxLate: int64(s.MaxLate)}
}

// share checks an extension from the wire and returns it as an OpenShare.
func (x *openExt) share() (OpenShare, error) {
	switch {
	case x.Arrivals != "uniform" && x.Arrivals != "poisson":
		return OpenShare{}, fmt.Errorf("arrivals %q", x.Arrivals)
	case x.Shares < 1 || x.Share < 0 || x.Share >= x.Shares:
		return OpenShare{}, fmt.Errorf("share %d of %d", x.Share, x.Shares)
	case x.Start <= 0 || x.From < 0 || x.MaxLate < 0:
		return OpenShare{}, errors.New("negative start, from or max_lateness")
	case x.Pool < 0 || x.MaxUsers < 0 || x.Pool > math.MaxInt32 || x.MaxUsers > math.MaxInt32:
		return OpenShare{}, fmt.Errorf("pool %d, max_users %d", x.Pool, x.MaxUsers)
	}
	return OpenShare{Rate: x.Rate, Poisson: x.Arrivals == "poisson", Seed: x.Seed, Start: time.Unix(0, x.Start),
		Share: x.Share, Shares: x.Shares, From: time.Duration(x.From), Pool: x.Pool, MaxUsers: x.MaxUsers,
		MaxLate: time.Duration(x.MaxLate)}, nil
}

// decodeSpawnExt reads a spawn's herd extension; nil when it has none.
func decodeSpawnExt(sp wire.Spawn) (*spawnExt, error) {
	raw, ok := sp.Extra[extKey]
	if !ok {
		return nil, nil
	}
	var x spawnExt
	if err := msgpack.Unmarshal(raw, &x); err != nil {
		return nil, fmt.Errorf("herd extension: %w", err)
	}
	return &x, nil
}

// OpenLead is how far ahead of now a master puts the shared start of an
// open-model run, and the boundary of a re-share: time for the spawn
// messages to arrive and the pools to start.
const OpenLead = time.Second

// openRun is the master's open-model run.
type openRun struct {
	plan    OpenPlan
	start   time.Time
	members []string // node ids in share order
	done    map[string]bool
	onEnd   func()
	ended   bool
}

// split is part i of total over n parts (the first total mod n get one
// more), at least least.
func split(total, n, i, least int) int {
	p := total / n
	if i < total%n {
		p++
	}
	return max(p, least)
}

// reportWait bounds how long StartOpen waits for every worker's first
// report, which tells herd workers from Locust ones.
const reportWait = 5 * time.Second

// StartOpen starts an open-model run on the connected herd workers: each
// gets its share of plan, starting together at a shared instant OpenLead
// from now. It refuses when a Locust worker is connected (they cannot run
// the open model) or no worker is. onEnd runs when every worker's share of
// a finite schedule is over.
func (m *Master) StartOpen(plan OpenPlan, host string, stopTimeout time.Duration, onEnd func()) error {
	// A worker's first report (sent right after its ack) tells whether it
	// is a herd worker.
	ctx, cancel := context.WithTimeout(context.Background(), reportWait)
	defer cancel()
	m.await(ctx, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, w := range m.activeLocked() {
			if !w.reported && !w.herd {
				return false
			}
		}
		return true
	})
	m.mu.Lock()
	if m.quitting {
		m.mu.Unlock()
		return errQuitting
	}
	ws := m.activeLocked()
	if len(ws) == 0 {
		m.mu.Unlock()
		return errors.New("no worker is connected")
	}
	var locust []string
	for _, w := range ws {
		if !w.herd {
			what := fmt.Sprintf("a Locust worker, version %q", w.version)
			if !w.reported {
				what = "it sent no report to tell"
			}
			locust = append(locust, fmt.Sprintf("%s (%s)", w.id, what))
		}
	}
	if len(locust) > 0 {
		m.mu.Unlock()
		return fmt.Errorf("--arrival-rate needs herd workers: Locust workers cannot run the open model, and %d connected worker(s) are not herd workers: %s; stop them or run without --arrival-rate",
			len(locust), strings.Join(locust, ", "))
	}
	if m.ramp != nil {
		m.ramp()
	}
	m.newTestLocked()
	m.running, m.target, m.placed, m.host, m.stopWait = true, 0, 0, host, stopTimeout
	m.open = &openRun{plan: plan, start: time.Now().Add(OpenLead), done: map[string]bool{}, onEnd: onEnd}
	m.mu.Unlock()
	m.dispatchOpen()
	return nil
}

// dispatchOpen gives out the shares of the open-model run over the active
// herd workers, when they changed: from the start for a new run, from
// OpenLead ahead for a running one.
func (m *Master) dispatchOpen() {
	m.dispatchMu.Lock()
	defer m.dispatchMu.Unlock()
	m.mu.Lock()
	run := m.open
	if run == nil || !m.running {
		m.mu.Unlock()
		return
	}
	var members []string
	for _, w := range m.activeLocked() {
		if w.herd { // a worker not known yet joins when its first report shows it is one
			members = append(members, w.id)
		}
	}
	if slices.Equal(members, run.members) {
		m.mu.Unlock()
		return
	}
	first := run.members == nil
	old := map[string]bool{}
	for _, id := range run.members {
		old[id] = true
	}
	run.members = members
	var from time.Duration
	if !first {
		from = max(time.Since(run.start)+OpenLead, 0)
		m.log.Info("master: workers changed: sharing the arrival rate anew", "workers", len(members),
			"from", from.Round(time.Millisecond))
		if len(members) == 0 {
			m.log.Warn("master: no herd worker is left to run the arrival rate")
		}
	}
	classes := m.classesLocked()
	host, stop := m.host, m.stopWait
	for id := range run.done {
		if !slices.Contains(members, id) {
			delete(run.done, id)
		}
	}
	m.mu.Unlock()
	secs := wire.FloatNumber(stop.Seconds())
	n := len(members)
	for i, id := range members {
		s := OpenShare{Rate: run.plan.Rate, Poisson: run.plan.Poisson, Seed: run.plan.Seed, Start: run.start,
			Share: i, Shares: n, From: from, MaxLate: run.plan.MaxLate}
		s.Pool = split(run.plan.Pool, n, i, 1)
		s.MaxUsers = split(run.plan.MaxUsers, n, i, s.Pool)
		raw, err := msgpack.Marshal(&spawnExt{V: 1, Open: s.ext()})
		if err != nil {
			m.log.Error("master: encoding the open-model spawn", "err", err)
			return
		}
		counts := make(map[string]int, len(classes))
		for _, c := range classes {
			counts[c.Name] = 0
		}
		h := host
		m.sendSpawn(id, wire.Spawn{Timestamp: m.nextTimestamp(), UserClassesCount: counts, Host: &h,
			StopTimeout: &secs, ParsedOptions: m.parsedOptions(), Extra: map[string]msgpack.RawMessage{extKey: raw}})
	}
	if !first {
		m.checkOpenEnd()
	}
}

// openDone records that node's share of the run that started at start
// (Unix ns) is over, and ends the run when every share is.
func (m *Master) openDone(node string, start int64) {
	m.mu.Lock()
	run := m.open
	if run == nil || run.start.UnixNano() != start || run.done[node] || !slices.Contains(run.members, node) {
		m.mu.Unlock()
		return
	}
	run.done[node] = true
	m.mu.Unlock()
	m.checkOpenEnd()
}

// checkOpenEnd calls the run's onEnd once every member's share is over.
func (m *Master) checkOpenEnd() {
	m.mu.Lock()
	run := m.open
	if run == nil || run.ended || len(run.members) == 0 || len(run.done) < len(run.members) {
		m.mu.Unlock()
		return
	}
	run.ended = true
	m.mu.Unlock()
	m.log.Info("master: every worker finished its share of the arrival schedule")
	if run.onEnd != nil {
		// Not on the caller's goroutine, which may be the receive loop
		// that onEnd's Stop waits on; Close waits for it.
		m.wg.Go(run.onEnd)
	}
}
