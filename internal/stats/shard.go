package stats

import (
	"sync"
	"time"

	"github.com/herdload/herd/internal/histogram"
)

// Key identifies one statistics entry.
type Key struct {
	Method string
	Name   string
}

type failKey struct {
	Method, Name, Error string
}

// errKey identifies one kind of user error: the message and a stable origin
// (the task, or the panicking frames without addresses).
type errKey struct {
	Message, Origin string
}

// delta accumulates one entry's requests between two ticks.
type delta struct {
	requests, failures, size uint64
	hist                     histogram.Histogram
	// intended holds response times from the intended start (open-model
	// runs only): the service time plus how late the iteration began.
	intended histogram.Histogram
}

type errDelta struct {
	count uint64
	trace string
	nodes []string // workers that reported it (distributed runs)
}

// maxErrorNodes bounds the node list of one error row.
const maxErrorNodes = 100

func (e *errDelta) addNode(node string) {
	for _, n := range e.nodes {
		if n == node {
			return
		}
	}
	if len(e.nodes) < maxErrorNodes {
		e.nodes = append(e.nodes, node)
	}
}

// table is what one shard collects between two ticks.
type table struct {
	// iterations and dropped count open-model iterations started, and
	// those due when no user was free.
	iterations, dropped uint64
	entries             map[Key]*delta
	failures            map[failKey]uint64
	errors              map[errKey]*errDelta
}

func newTable() *table {
	return &table{
		entries:  make(map[Key]*delta),
		failures: make(map[failKey]uint64),
		errors:   make(map[errKey]*errDelta),
	}
}

// clearAll empties t and forgets its entries too (a Reset: their names
// may not be admitted any more).
func (t *table) clearAll() {
	clear(t.entries)
	t.reset()
}

// reset empties t for reuse and keeps the entries (and their histogram
// buckets) allocated, so a steady load allocates nothing.
func (t *table) reset() {
	for _, d := range t.entries {
		d.requests, d.failures, d.size = 0, 0, 0
		d.hist.Reset()
		d.intended.Reset()
	}
	clear(t.failures)
	clear(t.errors)
	t.iterations, t.dropped = 0, 0
}

// Shard is one slice of the recording path. A simulated user records into
// the shard it was given for its whole life; Record is safe for concurrent
// use, but users spread over shards rarely contend.
type Shard struct {
	mu    sync.Mutex
	hot   *table
	names *nameSet // the run's admitted names; nil: no limit
	_     [40]byte // keep neighbouring shards' mutexes off one cache line
}

// Record adds one request. failure is "" for a success, otherwise the
// failure's message, already classified into a bounded set by the caller.
func (s *Shard) Record(method, name string, d time.Duration, size int64, failure string) {
	s.record(method, name, d, -1, size, failure)
}

// RecordIntended adds one request of an open-model (arrival-rate) run: d is
// the service time, from the actual send; intended is the response time
// from the request's intended start, which also counts how late its
// iteration began (coordinated omission).
func (s *Shard) RecordIntended(method, name string, d, intended time.Duration, size int64, failure string) {
	s.record(method, name, d, intended, size, failure)
}

// record adds one request; intended < 0 means "not an open-model request".
func (s *Shard) record(method, name string, d, intended time.Duration, size int64, failure string) {
	k := Key{Method: method, Name: name}
	s.mu.Lock()
	e := s.hot.entries[k]
	if e == nil {
		e, k = s.enterLocked(k)
	}
	e.requests++
	if size > 0 {
		e.size += uint64(size)
	}
	e.hist.Record(d)
	if intended >= 0 {
		e.intended.Record(intended)
	}
	if failure != "" {
		e.failures++
		s.hot.failures[failKey{k.Method, k.Name, failure}]++
	}
	s.mu.Unlock()
}

// enterLocked makes the entry of a key new to the hot table, or, when the
// run has no room for another name, returns the overflow entry and key.
// Only keys the run admitted (and the overflow key) ever enter a table, so
// every table stays within Options.MaxNames entries.
func (s *Shard) enterLocked(k Key) (*delta, Key) {
	if !s.names.admit(k) {
		k = overflowKey
		if e := s.hot.entries[k]; e != nil {
			return e, k
		}
	}
	e := new(delta)
	s.hot.entries[k] = e
	return e, k
}

// RecordError adds one error or panic raised by user code. origin is a
// stable key for where it came from (two errors with the same message and
// origin share a row); trace is a sample kept from the first occurrence.
// Texts longer than MaxErrorMessage (message) or MaxErrorTrace (origin,
// trace) are cut, with an ellipsis.
func (s *Shard) RecordError(message, origin, trace string) {
	k := errKey{Message: clip(message, MaxErrorMessage), Origin: clip(origin, MaxErrorTrace)}
	s.mu.Lock()
	e := s.hot.errors[k]
	if e == nil {
		e = &errDelta{trace: clip(trace, MaxErrorTrace)}
		s.hot.errors[k] = e
	}
	e.count++
	s.mu.Unlock()
}

// AddIterations counts open-model iterations: started ones, and dropped
// ones (due when every user of the pool was busy).
func (s *Shard) AddIterations(started, dropped uint64) {
	s.mu.Lock()
	s.hot.iterations += started
	s.hot.dropped += dropped
	s.mu.Unlock()
}

// swap hands out the hot table and installs spare in its place.
func (s *Shard) swap(spare *table) *table {
	s.mu.Lock()
	t := s.hot
	s.hot = spare
	s.mu.Unlock()
	return t
}
