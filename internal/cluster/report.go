package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
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

// reportOpenDone is a report's open_done, 0 if none.
func reportOpenDone(r wire.StatsReport) int64 {
	raw, ok := r.Extra[extKey]
	if !ok {
		return 0
	}
	var x struct {
		OpenDone int64 `msgpack:"open_done"`
	}
	if msgpack.Unmarshal(raw, &x) != nil {
		return 0
	}
	return x.OpenDone
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

// fromReport turns a worker's stats report into a delta for the master's
// statistics: exact when a herd worker sent its histograms, from Locust's
// rounded buckets otherwise. It also returns the classes a herd worker
// described (nil from Locust workers).
// hists recycles the histograms of the deltas that fromReport builds: the
// master merges each delta (OnDelta) and then gives its histograms back
// (recycle), so steady reporting decodes into buckets it already has.
type hists struct{ pool sync.Pool }

func (p *hists) get() *histogram.Histogram {
	if p != nil {
		if h, ok := p.pool.Get().(*histogram.Histogram); ok {
			return h
		}
	}
	return new(histogram.Histogram)
}

// recycle takes back the histograms of d, which must not be used after.
func (p *hists) recycle(d *stats.Delta) {
	if p == nil {
		return
	}
	for i := range d.Entries {
		if h := d.Entries[i].Hist; h != nil {
			d.Entries[i].Hist = nil
			p.pool.Put(h)
		}
	}
}

// fromReport converts a worker's report into a delta.
func fromReport(r wire.StatsReport, now time.Time) (*stats.Delta, []Class, error) {
	return fromReportHists(r, now, nil)
}

// fromReportHists is fromReport with the delta's histograms taken from p
// (nil: new ones).
func fromReportHists(r wire.StatsReport, now time.Time, p *hists) (*stats.Delta, []Class, error) {
	var x ext
	if raw, ok := r.Extra[extKey]; ok {
		if err := msgpack.Unmarshal(raw, &x); err != nil {
			return nil, nil, fmt.Errorf("herd extension: %w", err)
		}
	}
	// The report covers the time since the worker's previous one: its
	// total's start_time until now.
	d := &stats.Delta{End: now, Start: now, Iterations: x.Iterations, Dropped: x.Dropped}
	if st := fromEpoch(r.StatsTotal.StartTime); !st.IsZero() && st.Before(now) && now.Sub(st) < time.Minute {
		d.Start = st
	}
	for _, e := range r.Stats {
		method := ""
		if e.Method != nil {
			method = *e.Method
		}
		de := stats.DeltaEntry{
			Key:      stats.Key{Method: method, Name: e.Name},
			Requests: uint64(max(e.NumRequests, 0)),
			Failures: uint64(max(e.NumFailures, 0)),
			Size:     uint64(max(e.TotalContentLength, 0)),
		}
		if e.LastRequestTimestamp != nil {
			de.LastRequest = fromEpoch(*e.LastRequestTimestamp)
		}
		if b, ok := x.Hists[entryID(method, e.Name)]; ok {
			de.Hist = p.get()
			if err := de.Hist.UnmarshalBinary(b); err != nil {
				return nil, nil, fmt.Errorf("histogram of %s %s: %w", method, e.Name, err)
			}
		} else {
			de.Hist = locustHistogram(e)
		}
		if b, ok := x.Intended[entryID(method, e.Name)]; ok {
			de.Intended = new(histogram.Histogram)
			if err := de.Intended.UnmarshalBinary(b); err != nil {
				return nil, nil, fmt.Errorf("intended histogram of %s %s: %w", method, e.Name, err)
			}
		}
		// A request without a response time (Locust's None) still counts.
		if n := de.Hist.Count(); n < de.Requests {
			de.Hist.RecordN(0, de.Requests-n)
		}
		d.Entries = append(d.Entries, de)
	}
	for _, e := range r.Errors {
		d.Failures = append(d.Failures, stats.Failure{Method: e.Method, Name: e.Name, Error: e.Error,
			Occurrences: uint64(max(e.Occurrences, 0))})
	}
	for _, e := range x.Errors {
		d.Errors = append(d.Errors, stats.Error{Message: e.Message, Trace: e.Trace, Count: e.Count})
	}
	return d, x.Classes, nil
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

// locustHistogram rebuilds a histogram from Locust's rounded buckets, with
// the exact min, max and sum Locust also sends.
func locustHistogram(e wire.StatsEntry) *histogram.Histogram {
	h := new(histogram.Histogram)
	for _, rt := range e.ResponseTimes {
		if rt.Count > 0 {
			h.RecordN(msDuration(rt.ResponseTime.Float64()), uint64(rt.Count))
		}
	}
	lo := h.Min()
	if e.MinResponseTime != nil {
		lo = msDuration(e.MinResponseTime.Float64())
	}
	h.SetSummary(lo, msDuration(e.MaxResponseTime.Float64()), msDuration(e.TotalResponseTime.Float64()))
	return h
}
