package stats

import (
	"cmp"
	"github.com/herdload/herd/internal/failure"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

const (
	// windowTicks is how many per-second samples "current" figures cover.
	windowTicks = 10
	// MaxFailureKinds and MaxErrorKinds bound the failure and error tables:
	// past them, new kinds are counted in one overflow row, so a target that
	// returns a different message for every request cannot exhaust memory.
	MaxFailureKinds = 1000
	MaxErrorKinds   = 1000
	// OverflowMessage is the message of the overflow rows.
	OverflowMessage = "(other kinds: too many distinct messages to keep apart)"
)

// Options tune a Stats.
type Options struct {
	// Shards is the number of recording shards; 0 picks two per CPU.
	Shards int
	// FullHistory keeps a 10-second window per entry, so history rows (and
	// current percentiles) exist for every entry, not just the total.
	FullHistory bool
	// MaxNames bounds the distinct (method, name) entries: past it, the
	// requests of new names are counted in one entry, OverflowName. 0 (or
	// less) sets no limit. A master applies it to the merged run (its
	// workers have caps of their own, whose overflow rows it merges).
	MaxNames int
	// OnOverflow, if set, is called once (again after a Reset) when the
	// first requests are counted in the overflow entry, e.g. to log a
	// warning. It runs under the statistics' lock: it must be quick and
	// must not call the Stats.
	OnOverflow func()
}

// Stats holds the statistics of one run.
type Stats struct {
	shards []Shard

	mu          sync.Mutex // guards everything below; never taken by Record
	fullHistory bool
	maxNames    int
	names       *nameSet // the names admitted since New or Reset; nil: no limit
	onOverflow  func()
	warned      bool     // onOverflow was called since New or Reset
	spares      []*table // one empty table per shard, swapped in at each tick
	start       time.Time
	lastTick    time.Time
	entries     map[Key]*cumulative
	total       cumulative
	failures    map[failKey]uint64
	errors      map[errKey]*errDelta
	iterations  uint64              // open-model iterations started
	dropped     uint64              // open-model iterations dropped: no user was free
	scratch     histogram.Histogram // reused for window percentiles
	observed    histogram.Histogram // reused: an encoded histogram, decoded for the observer
	// reported is the end of the latest merged worker report (a master's
	// window ends there: later seconds are not reported yet).
	reported time.Time
	observer Observer
}

// Observer sees every batch of requests as it is merged into the
// statistics: a shard's requests since the last tick, or a worker's report.
// Its failures leave out the requests interrupted at the stop: they are no
// verdict on the target (their response times are in h).
// It runs under the statistics' lock and must not keep h.
type Observer func(k Key, requests, failures uint64, h *histogram.Histogram)

// SetObserver installs fn (nil removes it), e.g. to evaluate thresholds on
// each second's requests.
func (s *Stats) SetObserver(fn Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observer = fn
}

// New returns empty statistics that start counting at start.
func New(start time.Time, opts Options) *Stats {
	n := opts.Shards
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	s := &Stats{
		shards:      make([]Shard, n),
		fullHistory: opts.FullHistory,
		maxNames:    max(opts.MaxNames, 0),
		names:       newNameSet(opts.MaxNames),
		onOverflow:  opts.OnOverflow,
		spares:      make([]*table, n),
	}
	for i := range s.shards {
		s.shards[i].hot = newTable()
		s.shards[i].names = s.names
		s.spares[i] = newTable()
	}
	s.resetLocked(start)
	return s
}

// Shard returns the shard for user number i; users should be spread evenly.
func (s *Stats) Shard(i int) *Shard {
	return &s.shards[uint(i)%uint(len(s.shards))]
}

// Shards is the number of shards.
func (s *Stats) Shards() int { return len(s.shards) }

// Start is when counting started or was last reset.
func (s *Stats) Start() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start
}

// Reset drops everything recorded so far, names included (the shards
// forget theirs, so their memory is freed and the cap starts afresh);
// counting restarts at now.
func (s *Stats) Reset(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = newNameSet(s.maxNames)
	for i := range s.shards {
		sh := &s.shards[i]
		spare := s.spares[i]
		spare.clearAll()
		sh.mu.Lock()
		old := sh.hot
		sh.hot, sh.names = spare, s.names
		sh.mu.Unlock()
		old.clearAll()
		s.spares[i] = old
	}
	s.warned = false
	s.resetLocked(now)
}

// drainLocked swaps every shard's table for its empty spare (the hot/cold
// swap), merges what it held when merge is set (drops it otherwise), and
// keeps the emptied table as the next spare.
func (s *Stats) drainLocked(merge bool) {
	for i := range s.shards {
		t := s.shards[i].swap(s.spares[i])
		if merge {
			s.mergeLocked(t)
		}
		t.reset()
		s.spares[i] = t
	}
}

func (s *Stats) resetLocked(now time.Time) {
	s.start, s.lastTick, s.reported = now, now, time.Time{}
	s.entries = make(map[Key]*cumulative)
	s.total = cumulative{key: Key{Name: TotalName}, windowed: true}
	s.failures = make(map[failKey]uint64)
	s.errors = make(map[errKey]*errDelta)
	s.iterations, s.dropped = 0, 0
}

// Tick drains every shard into the cumulative statistics and closes one
// window slot at now. It returns the history rows of that second: the total,
// preceded by every entry when FullHistory is set. Call it about once a
// second, and once more after the last request, before the final snapshot.
func (s *Stats) Tick(now time.Time, users int) []HistoryRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked(true)
	span := now.Sub(s.lastTick)
	s.lastTick = now
	var rows []HistoryRow
	if s.fullHistory {
		rows = make([]HistoryRow, 0, len(s.entries)+1)
	}
	for _, c := range s.sortedLocked() {
		c.closeSlot(now, span)
		if s.fullHistory {
			rows = append(rows, s.historyRowLocked(c, now, users))
		}
	}
	s.total.closeSlot(now, span)
	return append(rows, s.historyRowLocked(&s.total, now, users))
}

func (s *Stats) mergeLocked(t *table) {
	s.iterations += t.iterations
	s.dropped += t.dropped
	for k, d := range t.entries {
		if d.requests == 0 {
			continue
		}
		c := s.entryLocked(k) // a shard's keys were admitted already
		c.add(d)
		s.total.add(d)
		if s.observer != nil {
			cut := t.failures[failKey{k.Method, k.Name, failure.InterruptedMessage}]
			s.observer(k, d.requests, d.failures-min(cut, d.failures), &d.hist)
		}
	}
	for k, n := range t.failures {
		s.addFailureLocked(k, n)
	}
	for k, e := range t.errors {
		s.addErrorLocked(k, e.trace, e.count)
	}
}

// entryLocked returns k's cumulative entry, made on first use. The first
// one of the overflow entry calls OnOverflow.
func (s *Stats) entryLocked(k Key) *cumulative {
	c := s.entries[k]
	if c == nil {
		c = &cumulative{key: k, windowed: s.fullHistory}
		s.entries[k] = c
		if k == overflowKey && !s.warned {
			s.warned = true
			if s.onOverflow != nil {
				s.onOverflow()
			}
		}
	}
	return c
}

// admittedLocked is k, or the overflow key when the run has no room for
// another name (a worker's report, merged).
func (s *Stats) admittedLocked(k Key) Key {
	if _, ok := s.entries[k]; ok || s.names.admit(k) {
		return k
	}
	return overflowKey
}

// addFailureLocked counts n failures of one kind; past MaxFailureKinds new
// kinds share the overflow row, except the requests interrupted at the
// stop, which keep a row per endpoint so Entry.Interrupted stays exact.
func (s *Stats) addFailureLocked(k failKey, n uint64) {
	if _, ok := s.failures[k]; !ok && len(s.failures) >= MaxFailureKinds && k.Error != failure.InterruptedMessage {
		k.Error = OverflowMessage
	}
	s.failures[k] += n
}

// addErrorLocked counts n user errors of one kind (trace: a sample kept
// from the first); past MaxErrorKinds new kinds share the overflow row.
func (s *Stats) addErrorLocked(k errKey, trace string, n uint64) *errDelta {
	k = errKey{Message: clip(k.Message, MaxErrorMessage), Origin: clip(k.Origin, MaxErrorTrace)}
	trace = clip(trace, MaxErrorTrace)
	have := s.errors[k]
	if have == nil && len(s.errors) >= MaxErrorKinds {
		k = errKey{Message: OverflowMessage}
		have = s.errors[k]
	}
	if have == nil {
		have = &errDelta{trace: trace}
		s.errors[k] = have
	}
	have.count += n
	return have
}

func (s *Stats) sortedLocked() []*cumulative {
	cs := make([]*cumulative, 0, len(s.entries))
	for _, c := range s.entries {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *cumulative) int {
		return cmp.Or(cmp.Compare(a.key.Name, b.key.Name), cmp.Compare(a.key.Method, b.key.Method))
	})
	return cs
}

func (s *Stats) historyRowLocked(c *cumulative, now time.Time, users int) HistoryRow {
	r := HistoryRow{
		Time:     now,
		Users:    users,
		Method:   c.key.Method,
		Name:     c.key.Name,
		Requests: c.hist.Count(),
		Failures: c.failures,
		Median:   c.hist.Quantile(0.5),
		Mean:     c.hist.Mean(),
		Min:      c.hist.Min(),
		Max:      c.hist.Max(),
	}
	if r.Requests > 0 {
		r.AvgSize = float64(c.size) / float64(r.Requests)
	}
	r.CurrentRPS, r.CurrentFailPerSec = c.currentRates(s.reported)
	if c.windowed {
		r.CurrentPercentiles = s.windowQuantilesLocked(c, func(s *slot) *histogram.Histogram { return s.hist })
		if c.intended.Count() > 0 {
			r.CurrentIntended = s.windowQuantilesLocked(c, func(s *slot) *histogram.Histogram { return s.intended })
		}
	}
	return r
}

// windowQuantilesLocked merges one histogram of each window slot and
// returns its percentiles, or nil when the window is empty.
func (s *Stats) windowQuantilesLocked(c *cumulative, of func(*slot) *histogram.Histogram) []time.Duration {
	s.scratch.Reset()
	for i := range c.slots {
		if h := of(&c.slots[i]); h != nil {
			s.scratch.Merge(h)
		}
	}
	if s.scratch.Count() == 0 {
		return nil
	}
	ps := make([]time.Duration, len(Percentiles))
	s.scratch.Quantiles(Percentiles, ps)
	return ps
}

// Snapshot copies the statistics as of the last Tick. now is the time the
// whole-run rates are computed at (the end of the run for a final report).
func (s *Stats) Snapshot(now time.Time, users int) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := &Snapshot{
		Time:     now,
		Start:    s.start,
		Duration: now.Sub(s.start),
		Users:    users,

		Iterations: s.iterations,
		Dropped:    s.dropped,

		MaxNames:        s.maxNames,
		NamesOverflowed: s.entries[overflowKey] != nil,
	}
	secs := snap.Duration.Seconds()
	cs := s.sortedLocked()
	snap.Entries = make([]Entry, len(cs))
	for i, c := range cs {
		snap.Entries[i] = c.entry(secs, s.reported)
	}
	snap.Total = s.total.entry(secs, s.reported)
	for i := range snap.Entries {
		e := &snap.Entries[i]
		e.Interrupted = s.failures[failKey{e.Method, e.Name, failure.InterruptedMessage}]
		snap.Total.Interrupted += e.Interrupted
	}

	snap.Failures = make([]Failure, 0, len(s.failures))
	for k, n := range s.failures {
		snap.Failures = append(snap.Failures, Failure{Method: k.Method, Name: k.Name, Error: k.Error, Occurrences: n})
	}
	slices.SortFunc(snap.Failures, func(a, b Failure) int {
		return cmp.Or(cmp.Compare(b.Occurrences, a.Occurrences), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Method, b.Method), cmp.Compare(a.Error, b.Error))
	})
	snap.Errors = make([]Error, 0, len(s.errors))
	for k, e := range s.errors {
		snap.Errors = append(snap.Errors, Error{Message: k.Message, Trace: e.trace, Count: e.count,
			Nodes: append([]string(nil), e.nodes...)})
	}
	slices.SortFunc(snap.Errors, func(a, b Error) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Trace, b.Trace))
	})
	return snap
}
