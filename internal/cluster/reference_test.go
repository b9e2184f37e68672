package cluster

import (
	"fmt"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// The master's report decoding before intake: the generic decoders
// (wire.DecodeStatsReportExact, then msgpack.Unmarshal of the extension
// and histogram.UnmarshalBinary of every histogram). Kept as the
// reference that FuzzIntakeMatchesReference holds intake to, and for
// BenchmarkMasterMergeReference.

// refHists recycles the histograms of the deltas fromReportRef builds.
type refHists struct{ free []*histogram.Histogram }

func (p *refHists) get() *histogram.Histogram {
	if p != nil && len(p.free) > 0 {
		h := p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		return h
	}
	return new(histogram.Histogram)
}

// recycle takes back the histograms of d, which must not be used after.
func (p *refHists) recycle(d *stats.Delta) {
	for i := range d.Entries {
		if h := d.Entries[i].Hist; h != nil {
			d.Entries[i].Hist = nil
			p.free = append(p.free, h)
		}
	}
}

// readReportRef decodes stats data as the master did before intake.
func readReportRef(data []byte, now time.Time, p *refHists) (*stats.Delta, reportInfo, error) {
	r, err := wire.DecodeStatsReportExact(data, extKey)
	if err != nil {
		return nil, reportInfo{}, err
	}
	d, classes, err := fromReportRef(r, now, p)
	if err != nil {
		return nil, reportInfo{}, err
	}
	_, herd := r.Extra[extKey]
	info := reportInfo{herd: herd, classes: classes, counts: userCounts(r.UserClassesCount)}
	if herd {
		var x struct {
			OpenDone int64 `msgpack:"open_done"`
		}
		if msgpack.Unmarshal(r.Extra[extKey], &x) == nil {
			info.openDone = x.OpenDone
		}
	}
	for k, v := range r.Extra {
		info.extra = append(info.extra, wire.FieldView{Key: []byte(k), Value: v})
	}
	return d, info, nil
}

// fromReportRef converts a decoded report into a delta.
func fromReportRef(r wire.StatsReport, now time.Time, p *refHists) (*stats.Delta, []Class, error) {
	var x ext
	if raw, ok := r.Extra[extKey]; ok {
		if err := msgpack.Unmarshal(raw, &x); err != nil {
			return nil, nil, fmt.Errorf("herd extension: %w", err)
		}
	}
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
			de.Hist = locustHistogramRef(e)
		}
		if b, ok := x.Intended[entryID(method, e.Name)]; ok {
			de.Intended = new(histogram.Histogram)
			if err := de.Intended.UnmarshalBinary(b); err != nil {
				return nil, nil, fmt.Errorf("intended histogram of %s %s: %w", method, e.Name, err)
			}
		}
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

// locustHistogramRef rebuilds a histogram from Locust's rounded buckets.
func locustHistogramRef(e wire.StatsEntry) *histogram.Histogram {
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
