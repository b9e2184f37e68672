package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// WriteJSON writes s and history as one indented JSON document holding what
// the CSV files hold. The schema is stable; fields may be added, never
// renamed or removed:
//
//	{
//	  "start_time": string,  // RFC 3339 with nanoseconds: Snapshot.Start
//	  "end_time": string,    // RFC 3339 with nanoseconds: Snapshot.Time
//	  "duration_s": number,  // seconds
//	  "user_count": integer,
//	  "stats": [entry],      // one per (method, name), sorted by name then method
//	  "total": entry,        // method "", name "Aggregated"
//	  "failures": [failure], // most frequent first
//	  "errors": [error],     // most frequent first
//	  "history": [row],      // in the order given
//	  "iterations": integer, // open-model runs: iterations started
//	  "dropped_iterations": integer, // open-model runs: due with no free user
//	  "names_overflow": overflow // only when the run had more distinct names than --max-names
//	}
//
//	overflow: {
//	  "max_names": integer,    // the cap (0: this process had none, a worker's was reached)
//	  "name": string,          // the stats row that counts the names past it (method "")
//	  "num_requests": integer, // its requests
//	  "message": string        // the warning the console prints
//	}
//
//	entry: {
//	  "method": string, "name": string,
//	  "num_requests": integer, "num_failures": integer,
//	  "num_interrupted": integer, // of the failures, those in flight when their user was killed at the stop; absent when 0
//	  "min_response_time": ms, "max_response_time": ms,
//	  "avg_response_time": ms, "median_response_time": ms,
//	  "avg_content_length": number,   // bytes
//	  "total_content_length": integer, // bytes
//	  "total_rps": number, "total_fail_per_sec": number,     // whole run
//	  "current_rps": number, "current_fail_per_sec": number, // last ~10 s
//	  "percentiles": percentiles
//	}
//
//	failure: {"method": string, "name": string, "error": string, "occurrences": integer}
//
//	error: {"count": integer, "message": string, "traceback": string, "nodes": [string]}
//
//	row: {
//	  "timestamp": integer, // Unix seconds
//	  "user_count": integer,
//	  "method": string, "name": string,
//	  "current_rps": number, "current_fail_per_sec": number,
//	  "percentiles": percentiles, // over the last ~10 s
//	  "intended_percentiles": percentiles, // the same from the intended start (open model only)
//	  "num_requests": integer, "num_failures": integer, // whole run
//	  "median_response_time": ms, "avg_response_time": ms,
//	  "min_response_time": ms, "max_response_time": ms,
//	  "avg_content_length": number
//	}
//
//	percentiles: {"50": ms, "66": ms, "75": ms, "80": ms, "90": ms, "95": ms,
//	              "98": ms, "99": ms, "99.9": ms, "99.99": ms, "100": ms}
//
// A key of percentiles is [PercentileLabel] without "%", in increasing
// order; percentiles is {} when there were no requests (in the window, for a
// history row). Every ms is a number of milliseconds with microsecond
// precision (up to three decimals); response times of an entry without
// requests are 0. Lists are [] when empty, never null, and no number is NaN
// or infinite.
func WriteJSON(w io.Writer, s *stats.Snapshot, history []stats.HistoryRow) error {
	return WriteRunJSON(w, s, history, nil)
}

// WriteRunJSON is [WriteJSON] with the run's threshold results, if any,
// under a "thresholds" key after "history":
//
//	"thresholds": [{"expr": string, "status": "pass"|"fail"|"pending",
//	                "no_data": bool, "value": number, "unit": string,
//	                "observed": string, "first_failed": string}]
//
// The key is absent when the run had no thresholds.
func WriteRunJSON(w io.Writer, s *stats.Snapshot, history []stats.HistoryRow, thresholds []threshold.Result) error {
	doc := jsonDoc{
		jsonStats:  statsJSON(s),
		History:    make([]jsonRow, 0, len(history)),
		Thresholds: thresholds,
	}
	for i := range history {
		doc.History = append(doc.History, rowJSON(&history[i]))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// MarshalStatsJSON returns s as compact JSON: the document of [WriteJSON]
// without its "history" key. Unlike WriteJSON it escapes <, > and & inside
// strings (as \u003c, \u003e, \u0026), so that the bytes are safe to embed
// anywhere; the decoded values are the same.
func MarshalStatsJSON(s *stats.Snapshot) ([]byte, error) {
	return json.Marshal(statsJSON(s))
}

// MarshalHistoryRowJSON returns r as compact JSON in the "row" shape of
// [WriteJSON], escaped as [MarshalStatsJSON] escapes.
func MarshalHistoryRowJSON(r *stats.HistoryRow) ([]byte, error) {
	return json.Marshal(rowJSON(r))
}

// MarshalHistoryJSON returns rows as a compact JSON array of [WriteJSON]'s
// "row" shape ([] when empty), escaped as [MarshalStatsJSON] escapes.
func MarshalHistoryJSON(rows []stats.HistoryRow) ([]byte, error) {
	out := make([]jsonRow, 0, len(rows))
	for i := range rows {
		out = append(out, rowJSON(&rows[i]))
	}
	return json.Marshal(out)
}

// statsJSON is the document of WriteJSON without its history.
func statsJSON(s *stats.Snapshot) jsonStats {
	doc := statsHeadJSON(s)
	doc.Stats = make([]jsonEntry, 0, len(s.Entries))
	for i := range s.Entries {
		doc.Stats = append(doc.Stats, entryJSON(&s.Entries[i]))
	}
	doc.Failures, doc.Errors = listsJSON(s)
	return doc
}

// MarshalStatsPartJSON returns the document of [MarshalStatsJSON] reduced
// to what a live update sends of what changed: its "stats", "failures"
// and "errors" lists hold only the items at the given positions of
// s.Entries, s.Failures and s.Errors, in that order. It is escaped as
// MarshalStatsJSON escapes.
func MarshalStatsPartJSON(s *stats.Snapshot, rows, failures, errors []int) ([]byte, error) {
	doc := statsHeadJSON(s)
	doc.Stats = make([]jsonEntry, 0, len(rows))
	for _, i := range rows {
		doc.Stats = append(doc.Stats, entryJSON(&s.Entries[i]))
	}
	doc.Failures = make([]jsonFailure, 0, len(failures))
	for _, i := range failures {
		doc.Failures = append(doc.Failures, failureJSON(&s.Failures[i]))
	}
	doc.Errors = make([]jsonError, 0, len(errors))
	for _, i := range errors {
		doc.Errors = append(doc.Errors, errorJSON(&s.Errors[i]))
	}
	return json.Marshal(doc)
}

// statsHeadJSON is the document of statsJSON without its three lists.
func statsHeadJSON(s *stats.Snapshot) jsonStats {
	doc := jsonStats{
		StartTime: s.Start.Format(time.RFC3339Nano),
		EndTime:   s.Time.Format(time.RFC3339Nano),
		Duration:  finite(s.Duration.Seconds()),
		Users:     s.Users,
		Total:     entryJSON(&s.Total),

		Iterations: s.Iterations,
		Dropped:    s.Dropped,
	}
	if s.NamesOverflowed {
		o := &jsonOverflow{MaxNames: s.MaxNames, Name: stats.OverflowName, Message: NamesOverflowWarning(s)}
		if e := overflowEntry(s); e != nil {
			o.Requests = e.Requests
		}
		doc.NamesOverflow = o
	}
	return doc
}

// overflowEntry is the entry of the names past --max-names, or nil.
func overflowEntry(s *stats.Snapshot) *stats.Entry {
	for i := range s.Entries {
		if e := &s.Entries[i]; e.Name == stats.OverflowName && e.Method == "" {
			return e
		}
	}
	return nil
}

// listsJSON is the failures and errors of s, never nil.
func listsJSON(s *stats.Snapshot) ([]jsonFailure, []jsonError) {
	failures := make([]jsonFailure, 0, len(s.Failures))
	for i := range s.Failures {
		failures = append(failures, failureJSON(&s.Failures[i]))
	}
	errs := make([]jsonError, 0, len(s.Errors))
	for i := range s.Errors {
		errs = append(errs, errorJSON(&s.Errors[i]))
	}
	return failures, errs
}

func failureJSON(f *stats.Failure) jsonFailure {
	return jsonFailure{f.Method, f.Name, f.Error, f.Occurrences}
}

func errorJSON(e *stats.Error) jsonError {
	return jsonError{e.Count, e.Message, e.Trace, append([]string{}, e.Nodes...)}
}

func rowJSON(r *stats.HistoryRow) jsonRow {
	return jsonRow{
		Timestamp:         r.Time.Unix(),
		Users:             r.Users,
		Method:            r.Method,
		Name:              r.Name,
		CurrentRPS:        finite(r.CurrentRPS),
		CurrentFailPerSec: finite(r.CurrentFailPerSec),
		Percentiles:       percentilesJSON(r.CurrentPercentiles, r.CurrentPercentiles != nil),
		Intended:          percentilesJSON(r.CurrentIntended, r.CurrentIntended != nil),
		Requests:          r.Requests,
		Failures:          r.Failures,
		Median:            jsonMs(r.Median),
		Mean:              jsonMs(r.Mean),
		Min:               jsonMs(r.Min),
		Max:               jsonMs(r.Max),
		AvgSize:           finite(r.AvgSize),
	}
}

// jsonDoc is WriteJSON's document: the statistics, then the history (the
// embedded struct's fields are encoded first, in order).
type jsonDoc struct {
	jsonStats
	History    []jsonRow          `json:"history"`
	Thresholds []threshold.Result `json:"thresholds,omitempty"`
}

type jsonStats struct {
	StartTime string        `json:"start_time"`
	EndTime   string        `json:"end_time"`
	Duration  float64       `json:"duration_s"`
	Users     int           `json:"user_count"`
	Stats     []jsonEntry   `json:"stats"`
	Total     jsonEntry     `json:"total"`
	Failures  []jsonFailure `json:"failures"`
	Errors    []jsonError   `json:"errors"`
	// Open-model runs only.
	Iterations uint64 `json:"iterations,omitempty"`
	Dropped    uint64 `json:"dropped_iterations,omitempty"`
	// Runs past --max-names only.
	NamesOverflow *jsonOverflow `json:"names_overflow,omitempty"`
}

type jsonOverflow struct {
	MaxNames int    `json:"max_names"`
	Name     string `json:"name"`
	Requests uint64 `json:"num_requests"`
	Message  string `json:"message"`
}

type jsonEntry struct {
	Method   string `json:"method"`
	Name     string `json:"name"`
	Requests uint64 `json:"num_requests"`
	Failures uint64 `json:"num_failures"`
	// Interrupted counts the failures cut short at the stop (in flight
	// when their user was killed); absent when there are none.
	Interrupted       uint64          `json:"num_interrupted,omitempty"`
	Min               float64         `json:"min_response_time"`
	Max               float64         `json:"max_response_time"`
	Mean              float64         `json:"avg_response_time"`
	Median            float64         `json:"median_response_time"`
	AvgSize           float64         `json:"avg_content_length"`
	TotalSize         uint64          `json:"total_content_length"`
	RPS               float64         `json:"total_rps"`
	FailPerSec        float64         `json:"total_fail_per_sec"`
	CurrentRPS        float64         `json:"current_rps"`
	CurrentFailPerSec float64         `json:"current_fail_per_sec"`
	Percentiles       jsonPercentiles `json:"percentiles"`
	Intended          *jsonTiming     `json:"intended,omitempty"`
}

// jsonTiming is a stats.Timing.
type jsonTiming struct {
	Min         float64         `json:"min_response_time"`
	Max         float64         `json:"max_response_time"`
	Mean        float64         `json:"avg_response_time"`
	Median      float64         `json:"median_response_time"`
	Percentiles jsonPercentiles `json:"percentiles"`
}

type jsonFailure struct {
	Method      string `json:"method"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences uint64 `json:"occurrences"`
}

type jsonError struct {
	Count     uint64   `json:"count"`
	Message   string   `json:"message"`
	Traceback string   `json:"traceback"`
	Nodes     []string `json:"nodes"`
}

type jsonRow struct {
	Timestamp         int64           `json:"timestamp"`
	Users             int             `json:"user_count"`
	Method            string          `json:"method"`
	Name              string          `json:"name"`
	CurrentRPS        float64         `json:"current_rps"`
	CurrentFailPerSec float64         `json:"current_fail_per_sec"`
	Percentiles       jsonPercentiles `json:"percentiles"`
	Intended          jsonPercentiles `json:"intended_percentiles,omitempty"`
	Requests          uint64          `json:"num_requests"`
	Failures          uint64          `json:"num_failures"`
	Median            float64         `json:"median_response_time"`
	Mean              float64         `json:"avg_response_time"`
	Min               float64         `json:"min_response_time"`
	Max               float64         `json:"max_response_time"`
	AvgSize           float64         `json:"avg_content_length"`
}

func entryJSON(e *stats.Entry) jsonEntry {
	return jsonEntry{
		Method:            e.Method,
		Name:              e.Name,
		Requests:          e.Requests,
		Failures:          e.Failures,
		Interrupted:       e.Interrupted,
		Min:               jsonMs(e.Min),
		Max:               jsonMs(e.Max),
		Mean:              jsonMs(e.Mean),
		Median:            jsonMs(e.Median),
		AvgSize:           finite(e.AvgSize()),
		TotalSize:         e.TotalSize,
		RPS:               finite(e.RPS),
		FailPerSec:        finite(e.FailPerSec),
		CurrentRPS:        finite(e.CurrentRPS),
		CurrentFailPerSec: finite(e.CurrentFailPerSec),
		Percentiles:       percentilesJSON(e.Percentiles, e.Requests > 0),
		Intended:          timingJSON(e.Intended),
	}
}

func timingJSON(t *stats.Timing) *jsonTiming {
	if t == nil {
		return nil
	}
	return &jsonTiming{Min: jsonMs(t.Min), Max: jsonMs(t.Max), Mean: jsonMs(t.Mean),
		Median: jsonMs(t.Median), Percentiles: percentilesJSON(t.Percentiles, true)}
}

// jsonPercentiles is an object whose keys keep the order of
// stats.Percentiles (encoding/json would sort a map's keys as strings).
type jsonPercentiles []float64

func percentilesJSON(ps []time.Duration, ok bool) jsonPercentiles {
	if !ok {
		return nil
	}
	out := make(jsonPercentiles, min(len(ps), len(stats.Percentiles)))
	for i := range out {
		out[i] = jsonMs(ps[i])
	}
	return out
}

// MarshalJSON implements [json.Marshaler].
func (p jsonPercentiles) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(strings.TrimSuffix(PercentileLabel(stats.Percentiles[i]), "%"))
		val, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
