package wire

import (
	"bytes"

	"github.com/vmihailenco/msgpack/v5"
)

// Keys of the stats report written by Locust itself; anything else goes to
// StatsReport.Extra.
var statsReportKeys = map[string]bool{
	"stats": true, "stats_total": true, "errors": true,
	"user_classes_count": true, "user_count": true,
}

// StatsReport is the data of stats (worker to master, every 3 s): deltas
// since the previous report (locust-wire.md 4.3).
type StatsReport struct {
	// Stats has one entry per (name, method) with requests or failures.
	Stats []StatsEntry
	// StatsTotal is the worker's aggregate ("Aggregated").
	StatsTotal StatsEntry
	// Errors maps a stable error key (Locust: SHA-256 hex of
	// "<method>.<name>.<error>") to the error. Encoded with keys sorted.
	Errors map[string]StatsError
	// UserClassesCount is the current users per class, zeros included.
	// Encoded with keys sorted.
	UserClassesCount map[string]int
	// UserCount is the sum of UserClassesCount.
	UserCount int
	// Extra holds keys added by report_to_master listeners (plugins), as
	// raw msgpack; the master ignores keys it does not know. Encoded after
	// the five standard keys, sorted.
	Extra map[string]msgpack.RawMessage
}

// MessageType returns TypeStats.
func (StatsReport) MessageType() string { return TypeStats }

// MarshalData encodes the report in Locust's key order: stats,
// stats_total, errors, user_classes_count, user_count, then Extra. A nil
// UserClassesCount is encoded as {} (the master requires the key).
func (s StatsReport) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	extra := sortedKeys(s.Extra)
	w.mapLen(5 + len(extra))
	w.str("stats")
	w.arrayLen(len(s.Stats))
	for _, e := range s.Stats {
		e.write(w)
	}
	w.str("stats_total")
	s.StatsTotal.write(w)
	w.str("errors")
	keys := sortedKeys(s.Errors)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		s.Errors[k].write(w)
	}
	w.str("user_classes_count")
	w.countMap(s.UserClassesCount)
	w.str("user_count")
	w.int(int64(s.UserCount))
	for _, k := range extra {
		if statsReportKeys[k] {
			w.fail(invalidf("stats: Extra key %q shadows a standard key", k))
		}
		w.str(k)
		w.rawObject(s.Extra[k])
	}
	return w.raw()
}

// DecodeStatsReport decodes stats data. stats and stats_total are
// required; errors, user_classes_count and user_count may be missing (a
// real master merges such a partial report and logs an error); other keys
// go to Extra.
func DecodeStatsReport(data msgpack.RawMessage) (StatsReport, error) {
	r, err := newReader(data)
	if err != nil {
		return StatsReport{}, err
	}
	return r.statsReport()
}

// DecodeStatsReportExact is DecodeStatsReport for a reader that has exact
// histograms of its own under the top-level key ext: when the report has
// that key, the entries' rounded response_times are skipped (left nil)
// rather than decoded, which is most of a large report's decoding cost.
func DecodeStatsReportExact(data msgpack.RawMessage, ext string) (StatsReport, error) {
	r, err := newReader(data)
	if err != nil {
		return StatsReport{}, err
	}
	has, err := r.hasKey(ext)
	if err != nil {
		return StatsReport{}, err
	}
	// Validated once above: decode again from the start.
	r = &reader{d: msgpack.NewDecoder(bytes.NewReader(data)), skipResponseTimes: has}
	return r.statsReport()
}

// hasKey reports whether the top-level map has key, skipping every value.
func (r *reader) hasKey(key string) (bool, error) {
	found := false
	err := r.fields("stats", func(k string) error {
		found = found || k == key
		return r.skip(keyPath("stats", k))
	})
	return found, err
}

func (r *reader) statsReport() (StatsReport, error) {
	var s StatsReport
	var seen keySet
	err := r.fields("stats", func(key string) error {
		var err error
		switch key {
		case "stats":
			s.Stats, err = r.statsEntries("stats.stats")
		case "stats_total":
			s.StatsTotal, err = r.statsEntry("stats.stats_total")
		case "errors":
			s.Errors, err = r.statsErrors("stats.errors")
		case "user_classes_count":
			s.UserClassesCount, err = r.countMap("stats.user_classes_count")
		case "user_count":
			s.UserCount, err = r.int("stats.user_count")
		default:
			var raw msgpack.RawMessage
			if raw, err = r.raw(keyPath("stats", key)); err == nil {
				if s.Extra == nil {
					s.Extra = map[string]msgpack.RawMessage{}
				}
				s.Extra[key] = raw
			}
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return StatsReport{}, err
	}
	if !seen.has("stats", "stats_total") {
		return StatsReport{}, invalidf("stats: missing stats or stats_total")
	}
	return s, nil
}

// statsEntries decodes the array of entries.
func (r *reader) statsEntries(path string) ([]StatsEntry, error) {
	n, err := r.arrayLen(path)
	if err != nil {
		return nil, err
	}
	out := make([]StatsEntry, 0, n)
	for range n {
		e, err := r.statsEntry(path + "[]")
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// statsErrors decodes the error table.
func (r *reader) statsErrors(path string) (map[string]StatsError, error) {
	n, err := r.mapLen(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]StatsError, n)
	for range n {
		k, err := r.str(path + " key")
		if err != nil {
			return nil, err
		}
		e, err := r.statsError(keyPath(path, k))
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}
