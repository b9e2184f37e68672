package metrics

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// Source is what the exporters read at each collection: one process's
// run, as its controller knows it (internal/control implements it).
type Source interface {
	// Read fills r with the figures of the moment. It must be safe for
	// concurrent use and quick: it runs at every scrape and push.
	Read(r *Reading)
}

// Reading is a run's state at one collection. The request statistics are
// read from Stats itself (stats.Stats.Visit), so that the exporters count
// what every report counts.
type Reading struct {
	// State is the test's state: ready, spawning, running, stopping or
	// stopped (Locust's names, as the web UI shows them).
	State string
	// Stats are the current (or last) test's statistics, the whole
	// cluster's on a master; nil before the first test.
	Stats *stats.Stats
	// Users are the running users per user type; types that run none may
	// be listed with 0.
	Users map[string]int
	// Master is set on a distributed master; Workers are then its workers.
	Master  bool
	Workers []Worker
	// CPU is this process's CPU use over the last second, a share (0–1) of
	// the cores it may use; CPUKnown is false where it cannot be measured.
	CPU      float64
	CPUKnown bool
	// Thresholds are the live --threshold results (final once stopped).
	Thresholds []threshold.Result
}

// Worker is one of a master's workers.
type Worker struct {
	ID    string
	State string  // ready, spawning, running or missing
	CPU   float64 // share (0–1) of the worker's usable cores
}

// workerStates are the states herd_workers counts, always all of them.
var workerStates = []string{"ready", "spawning", "running", "missing"}

// testStates are the test states herd_state reports, always all of them.
var testStates = []string{"ready", "spawning", "running", "stopping", "stopped"}

// view is one collection: the Reading, and every endpoint's counters and
// response times converted while the statistics' lock was held, so that
// rendering them (Prometheus or OTLP) takes no lock.
type view struct {
	Reading
	at, start           time.Time
	iterations, dropped uint64
	series              []*series // in blocks, not one growing slice (read)
}

// series is one endpoint's figures.
type series struct {
	method, name       string
	requests, failures uint64
	sum                float64 // seconds, exact
	min, max           float64 // seconds, exact
	classic            [len(classicBounds) + 1]uint64
	schema             int32
	buckets            []bucket // sorted by index; in a block shared with other series
}

// How many buckets and series read allocates at a time.
const (
	blockSize       = 16 << 10
	seriesBlockSize = 1 << 10
)

// read takes one view from src at now.
func read(src Source, now time.Time) *view {
	v := &view{at: now, start: now}
	src.Read(&v.Reading)
	if v.Stats == nil {
		return v
	}
	// Blocks, not one growing slice: growing a slice of megabytes copies
	// it again and again, under the statistics' lock.
	var block []bucket  // where the series' buckets are converted, in turn
	var sblock []series // where the series are kept
	v.start, v.iterations, v.dropped = v.Stats.Visit(func(t *stats.Totals) {
		h := t.Hist
		s := series{
			method:   validUTF8(t.Method),
			name:     validUTF8(t.Name),
			requests: h.Count(),
			failures: t.Failures,
			sum:      h.Sum().Seconds(),
			min:      h.Min().Seconds(),
			max:      h.Max().Seconds(),
		}
		// h has at most one non-empty bucket per 8 bytes it holds: with
		// that much room, convert appends in place.
		if room := h.Bytes() / 8; cap(block)-len(block) < room {
			block = make([]bucket, 0, max(blockSize, room))
		}
		n := len(block)
		block, s.schema = convert(block, h, &s.classic)
		s.buckets = block[n:len(block):len(block)]
		if len(sblock) == cap(sblock) {
			sblock = make([]series, 0, seriesBlockSize)
		}
		sblock = append(sblock, s)
		v.series = append(v.series, &sblock[len(sblock)-1])
	})
	return v
}

// validUTF8 is s with invalid bytes replaced: label values and attributes
// must be UTF-8, request names may be anything.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// workerCounts counts the workers per state, in workerStates' order.
func (v *view) workerCounts() []int {
	n := make([]int, len(workerStates))
	for _, w := range v.Workers {
		if i := slices.Index(workerStates, w.State); i >= 0 {
			n[i]++
		}
	}
	return n
}

// userTypes are the user types of Users, sorted.
func (v *view) userTypes() []string {
	types := make([]string, 0, len(v.Users))
	for t := range v.Users {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}
