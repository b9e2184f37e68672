package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// extKey is the stats-report key under which a herd worker adds what
// Locust's format cannot carry: exact histograms, error traces and counts,
// and its user classes' weights. Locust masters ignore unknown keys.
const extKey = "herd"

// ext is the herd extension of a stats report.
type ext struct {
	V       int               `msgpack:"v"`
	Hists   map[string][]byte `msgpack:"hists"` // by entryID
	Errors  []extError        `msgpack:"errors"`
	Classes []Class           `msgpack:"classes"`
	// Intended holds open-model histograms from the intended start, by
	// entryID; Iterations and Dropped count open-model iterations.
	Intended   map[string][]byte `msgpack:"intended,omitempty"`
	Iterations uint64            `msgpack:"iterations,omitempty"`
	Dropped    uint64            `msgpack:"dropped,omitempty"`
	// OpenDone names (by its shared start, Unix ns) the open-model run
	// whose share this worker finished; sent in every report until the
	// next run.
	OpenDone int64 `msgpack:"open_done,omitempty"`
}

type extError struct {
	Message string `msgpack:"message"`
	Trace   string `msgpack:"trace"`
	Count   uint64 `msgpack:"count"`
}

// Class is a user class as a herd worker describes it to its master, so a
// master without the test's code can weigh the classes.
type Class struct {
	Name       string `msgpack:"name"`
	Weight     int    `msgpack:"weight"`
	FixedCount int    `msgpack:"fixed_count"`
}

func entryID(method, name string) string { return method + " " + name }

// toReport turns a worker's delta into a stats report that Locust masters
// understand and herd masters read exactly.
func toReport(d *stats.Delta, counts map[string]int, classes []Class) (wire.StatsReport, error) {
	return toReportDone(d, counts, classes, 0)
}

// toReportDone is toReport with the extension's open_done.
func toReportDone(d *stats.Delta, counts map[string]int, classes []Class, openDone int64) (wire.StatsReport, error) {
	r := wire.StatsReport{Errors: map[string]wire.StatsError{}, UserClassesCount: counts}
	for _, n := range counts {
		r.UserCount += n
	}
	x := ext{V: 1, Hists: map[string][]byte{}, Classes: classes, Iterations: d.Iterations, Dropped: d.Dropped,
		OpenDone: openDone}
	var total histogram.Histogram
	var totalFails uint64
	var totalSize int64
	var last time.Time
	for _, e := range d.Entries {
		if e.Requests == 0 && e.Failures == 0 {
			continue
		}
		r.Stats = append(r.Stats, wireEntry(e.Method, e.Name, e.Hist, e.Failures, int64(e.Size), e.LastRequest, d))
		b, err := e.Hist.MarshalBinary()
		if err != nil {
			return r, err
		}
		x.Hists[entryID(e.Method, e.Name)] = b
		if e.Intended != nil {
			if b, err = e.Intended.MarshalBinary(); err != nil {
				return r, err
			}
			if x.Intended == nil {
				x.Intended = map[string][]byte{}
			}
			x.Intended[entryID(e.Method, e.Name)] = b
		}
		total.Merge(e.Hist)
		totalFails += e.Failures
		totalSize += int64(e.Size)
		if e.LastRequest.After(last) {
			last = e.LastRequest
		}
	}
	r.StatsTotal = wireEntry("", stats.TotalName, &total, totalFails, totalSize, last, d)
	for _, f := range d.Failures {
		key := sha256.Sum256([]byte(f.Method + "." + f.Name + "." + f.Error))
		r.Errors[hex.EncodeToString(key[:])] = wire.StatsError{
			Name: f.Name, Method: f.Method, Error: f.Error, Occurrences: int(f.Occurrences)}
	}
	for _, e := range d.Errors {
		x.Errors = append(x.Errors, extError{Message: e.Message, Trace: e.Trace, Count: e.Count})
	}
	raw, err := msgpack.Marshal(&x)
	if err != nil {
		return r, err
	}
	r.Extra = map[string]msgpack.RawMessage{extKey: raw}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// wireEntry is one Locust StatsEntry from a histogram and counters.
func wireEntry(method, name string, h *histogram.Histogram, fails uint64, size int64, last time.Time, d *stats.Delta) wire.StatsEntry {
	m := method
	e := wire.StatsEntry{
		Name:               name,
		Method:             &m,
		StartTime:          epoch(d.Start),
		NumRequests:        int(h.Count()),
		NumFailures:        int(fails),
		TotalResponseTime:  wire.FloatNumber(ms(h.Sum())),
		MaxResponseTime:    wire.FloatNumber(ms(h.Max())),
		TotalContentLength: size,
	}
	if h.Count() > 0 {
		lo := wire.FloatNumber(ms(h.Min()))
		e.MinResponseTime = &lo
		ts := epoch(last)
		e.LastRequestTimestamp = &ts
	}
	// Locust's rounded histogram, from each bucket's midpoint.
	rounded := map[int]int{}
	h.Buckets(func(b histogram.Bucket) {
		mid := float64(b.Lo+b.Hi) / 2 / 1000
		rounded[wire.RoundResponseTime(mid)] += int(b.Count)
	})
	for _, k := range slices.Sorted(maps.Keys(rounded)) {
		e.ResponseTimes = append(e.ResponseTimes, wire.ResponseTimeCount{ResponseTime: wire.IntNumber(int64(k)), Count: rounded[k]})
	}
	e.NumReqsPerSec = perSecond(int(h.Count()), d.Start, d.End)
	e.NumFailPerSec = perSecond(int(fails), d.Start, d.End)
	return e
}

// perSecond spreads n over the whole seconds of [start, end], which
// Locust's master reads for its current rates.
func perSecond(n int, start, end time.Time) []wire.SecondCount {
	if n == 0 {
		return nil
	}
	first, last := start.Unix(), end.Unix()
	if last < first {
		last = first
	}
	secs := int(last - first + 1)
	out := make([]wire.SecondCount, 0, secs)
	for i := range secs {
		c := n / secs
		if i < n%secs {
			c++
		}
		if c > 0 {
			out = append(out, wire.SecondCount{Second: first + int64(i), Count: c})
		}
	}
	return out
}

func fromEpoch(s float64) time.Time {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func msDuration(v float64) time.Duration {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return time.Duration(math.Min(v*float64(time.Millisecond), math.MaxInt64/2))
}
