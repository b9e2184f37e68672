package cluster

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// intake turns workers' stats reports into deltas for the master's
// statistics. The master's receive goroutine owns one and reuses all of
// it from one report to the next: the decoded view (wire.StatsReportView,
// whose strings point into the report), the delta, the index of a herd
// report's exact histograms, the histograms rebuilt from a Locust
// worker's rounded buckets, and the names, interned so that a name seen
// before costs no allocation. A herd worker's exact histograms are not
// decoded at all: the delta carries their encoding, which stats.Merge adds
// bucket by bucket (DeltaEntry.HistBinary). Steady reporting thus
// allocates a few times per report, not per entry.
type intake struct {
	view     wire.StatsReportView
	delta    stats.Delta
	names    interner
	exact    exactIndex // the extension's hists
	intended exactIndex // the extension's intended
	hists    []*histogram.Histogram
	used     int // hists handed out for the current report
	counts   map[string]int
	raw      bytes.Reader     // the extension's small fields, one by one,
	dec      *msgpack.Decoder // decoded through this decoder
	// The classes of the latest report and their encoding: every worker
	// of a test sends the same ones, decoded once.
	classesRaw []byte
	classes    []Class
}

// reportInfo is what a report tells the master besides its statistics.
type reportInfo struct {
	herd     bool           // it carries herd's extension
	classes  []Class        // the user classes a herd worker describes (shared: read only)
	openDone int64          // the open-model run whose share it finished
	counts   map[string]int // user_classes_count, made sane (userCounts); reused
	extra    []wire.FieldView
}

// extFields are the extension's small fields, decoded as msgpack.Unmarshal
// decodes ext.
type extFields struct {
	errors     []extError
	classes    []Class
	iterations uint64
	dropped    uint64
	openDone   int64
}

// read decodes one report received now. The delta and the info are valid
// until the next read: the delta's histograms, slices and encodings are
// reused (its strings are not: they may be kept).
func (in *intake) read(data []byte, now time.Time) (*stats.Delta, reportInfo, error) {
	in.trim()
	v := &in.view
	if err := v.Decode(data, extKey); err != nil {
		return nil, reportInfo{}, err
	}
	info := reportInfo{herd: v.ResponseTimesSkipped, extra: v.Extra}
	in.exact.reset()
	in.intended.reset()
	in.used = 0
	var x extFields
	for _, f := range v.Extra {
		if string(f.Key) == extKey {
			var err error
			if x, err = in.readExt(f.Value); err != nil {
				return nil, reportInfo{}, fmt.Errorf("herd extension: %w", err)
			}
		}
	}
	info.classes, info.openDone = x.classes, x.openDone

	d := &in.delta
	*d = stats.Delta{Start: now, End: now, Iterations: x.iterations, Dropped: x.dropped,
		Entries: d.Entries[:0], Failures: d.Failures[:0], Errors: d.Errors[:0]}
	// The report covers the time since the worker's previous one: its
	// total's start_time until now.
	if st := fromEpoch(v.Total.StartTime); !st.IsZero() && st.Before(now) && now.Sub(st) < time.Minute {
		d.Start = st
	}
	for i := range v.Stats {
		de, err := in.entry(&v.Stats[i], info.herd)
		if err != nil {
			return nil, reportInfo{}, err
		}
		d.Entries = append(d.Entries, de)
	}
	for _, e := range v.Errors {
		d.Failures = append(d.Failures, stats.Failure{Method: in.names.get(e.Method), Name: in.names.get(e.Name),
			Error: in.names.get(e.Error), Occurrences: uint64(max(e.Occurrences, 0))})
	}
	for _, e := range x.errors {
		d.Errors = append(d.Errors, stats.Error{Message: e.Message, Trace: e.Trace, Count: e.Count})
	}
	if in.counts == nil {
		in.counts = map[string]int{}
	}
	clear(in.counts)
	for _, c := range v.UserClasses {
		in.counts[in.names.get(c.Name)] = min(max(c.Count, 0), math.MaxInt32)
	}
	info.counts = in.counts
	return d, info, nil
}

// readExt reads the herd extension: its histograms are indexed, not
// decoded; its small fields are decoded as msgpack.Unmarshal decodes ext.
func (in *intake) readExt(raw []byte) (extFields, error) {
	var x extFields
	if in.dec == nil {
		in.dec = msgpack.NewDecoder(&in.raw)
	}
	unmarshal := func(value []byte, v any) error {
		in.raw.Reset(value)
		in.dec.Reset(&in.raw)
		return in.dec.Decode(v)
	}
	err := wire.MapFields(raw, func(key, value []byte) error {
		var err error
		switch string(key) {
		case "hists":
			err = in.exact.read(value)
		case "intended":
			err = in.intended.read(value)
		case "errors":
			x.errors = nil
			err = unmarshal(value, &x.errors)
		case "classes":
			if !bytes.Equal(value, in.classesRaw) || in.classesRaw == nil {
				in.classes = nil
				if err = unmarshal(value, &in.classes); err != nil {
					in.classesRaw = nil
					return err
				}
				in.classesRaw = append(in.classesRaw[:0], value...)
			}
			x.classes = in.classes
		case "iterations":
			err = unmarshal(value, &x.iterations)
		case "dropped":
			err = unmarshal(value, &x.dropped)
		case "open_done":
			err = unmarshal(value, &x.openDone)
		case "v":
			var v int
			err = unmarshal(value, &v)
		}
		return err
	})
	return x, err
}

// entry converts one entry: exact when the extension has its histogram,
// from Locust's rounded buckets otherwise.
func (in *intake) entry(e *wire.StatsEntryView, herd bool) (stats.DeltaEntry, error) {
	method, name := in.names.get(e.Method), in.names.get(e.Name)
	de := stats.DeltaEntry{
		Key:      stats.Key{Method: method, Name: name},
		Requests: uint64(max(e.NumRequests, 0)),
		Failures: uint64(max(e.NumFailures, 0)),
		Size:     uint64(max(e.TotalContentLength, 0)),
	}
	if e.HasLastRequest {
		de.LastRequest = fromEpoch(e.LastRequestTimestamp)
	}
	if b, ok := in.exact.find(e.Method, e.Name); ok {
		n, err := histogram.BinaryCount(b)
		if err != nil {
			return de, fmt.Errorf("histogram of %s %s: %w", method, name, err)
		}
		if n >= de.Requests {
			de.HistBinary = b
		} else {
			// Requests without a response time: decoded, to add them.
			de.Hist = in.hist()
			de.Hist.UnmarshalBinary(b)
		}
	} else {
		de.Hist = in.hist()
		if !herd {
			locustBuckets(de.Hist, e)
		}
	}
	if b, ok := in.intended.find(e.Method, e.Name); ok {
		n, err := histogram.BinaryCount(b)
		switch {
		case err != nil:
			return de, fmt.Errorf("intended histogram of %s %s: %w", method, name, err)
		case n == 0:
		case de.Hist == nil:
			de.IntendedBinary = b
		default:
			de.Intended = in.hist()
			de.Intended.UnmarshalBinary(b)
		}
	}
	// A request without a response time (Locust's None) still counts.
	if de.Hist != nil && de.Hist.Count() < de.Requests {
		de.Hist.RecordN(0, de.Requests-de.Hist.Count())
	}
	return de, nil
}

// keptHists bounds the histograms an intake keeps for Locust workers'
// reports (a few KB each); a larger report's others are garbage after it.
const keptHists = 1024

// hist returns an empty histogram for the current report, reused from an
// earlier one.
func (in *intake) hist() *histogram.Histogram {
	if in.used == len(in.hists) {
		if len(in.hists) == keptHists {
			return new(histogram.Histogram)
		}
		in.hists = append(in.hists, new(histogram.Histogram))
	}
	h := in.hists[in.used]
	in.used++
	h.Reset()
	return h
}

// largeReport is the entries of a report after which an intake lets go of
// its buffers when the next reports are much smaller: one large report
// must not hold its memory for the rest of the run.
const largeReport = 1 << 14

// trim lets go of buffers grown by an earlier, much larger report than
// the previous one.
func (in *intake) trim() {
	if c := cap(in.delta.Entries); c > largeReport && len(in.delta.Entries) < c/8 {
		in.view, in.delta, in.exact, in.intended = wire.StatsReportView{}, stats.Delta{}, exactIndex{}, exactIndex{}
	}
}

// locustBuckets fills h from Locust's rounded buckets, with the exact min,
// max and sum Locust also sends.
func locustBuckets(h *histogram.Histogram, e *wire.StatsEntryView) {
	for _, rt := range e.ResponseTimes {
		if rt.Count > 0 {
			h.RecordN(msDuration(rt.ResponseTime.Float64()), uint64(rt.Count))
		}
	}
	lo := h.Min()
	if e.HasMin {
		lo = msDuration(e.MinResponseTime.Float64())
	}
	h.SetSummary(lo, msDuration(e.MaxResponseTime.Float64()), msDuration(e.TotalResponseTime.Float64()))
}

// exactIndex finds the histograms of a herd report's extension, a map
// keyed by entryID ("method name"), for an entry's method and name as
// views, without building the key: by a hash of its bytes, checked
// against the bytes. A key repeated in the map takes its last value, as
// msgpack.Unmarshal into a Go map does.
type exactIndex struct {
	seed  maphash.Seed
	head  map[uint64]int32 // hash → latest item with it
	items []exactItem
}

type exactItem struct {
	key, value []byte
	next       int32 // the previous item with the same hash, -1 if none
}

// reset forgets the previous report's histograms.
func (x *exactIndex) reset() {
	if x.head == nil {
		x.seed, x.head = maphash.MakeSeed(), map[uint64]int32{}
	}
	clear(x.head)
	x.items = x.items[:0]
}

// read indexes the map raw, a map of str keys to bin (or str, or nil)
// values.
func (x *exactIndex) read(raw []byte) error {
	x.reset()
	return wire.MapFields(raw, func(key, value []byte) error {
		b, err := wire.BinBytes(value)
		if err != nil {
			return err
		}
		if b == nil {
			b = []byte{} // present, and not a histogram
		}
		if len(x.items) >= math.MaxInt32 {
			return fmt.Errorf("too many histograms")
		}
		h := maphash.Bytes(x.seed, key)
		prev, ok := x.head[h]
		if !ok {
			prev = -1
		}
		x.head[h] = int32(len(x.items))
		x.items = append(x.items, exactItem{key: key, value: b, next: prev})
		return nil
	})
}

// find returns the histogram of entryID(method, name).
func (x *exactIndex) find(method, name []byte) ([]byte, bool) {
	if len(x.items) == 0 {
		return nil, false
	}
	var h maphash.Hash
	h.SetSeed(x.seed)
	h.Write(method)
	h.WriteByte(' ')
	h.Write(name)
	i, ok := x.head[h.Sum64()]
	for ok && i >= 0 {
		it := &x.items[i]
		k := it.key
		if len(k) == len(method)+1+len(name) && bytes.HasPrefix(k, method) && k[len(method)] == ' ' &&
			bytes.Equal(k[len(method)+1:], name) {
			return it.value, true
		}
		i = it.next
	}
	return nil, false
}

// interner returns one string for all equal names, so that a name seen
// before costs no allocation. It holds at most maxInterned names and
// maxInternedBytes bytes (what the master's --max-names lets through is
// far less): past that, names are copied each time, as before.
type interner struct {
	m     map[string]string
	bytes int
}

const (
	maxInterned      = 1 << 17
	maxInternedBytes = 16 << 20
)

// get returns b as a string.
func (n *interner) get(b []byte) string {
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if n.m == nil {
		n.m = map[string]string{}
	}
	if len(n.m) < maxInterned && n.bytes+len(s) <= maxInternedBytes {
		n.m[s] = s
		n.bytes += len(s)
	}
	return s
}
