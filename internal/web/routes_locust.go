package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// maxLocustRows is how many entries (and errors) /stats/requests lists, as
// Locust: more would make the table render too slowly. The total is kept.
const maxLocustRows = 500

// Indexes in stats.Percentiles of the quantiles Locust's /stats/requests
// shows (-1 if missing, then 0 is shown).
var (
	p50 = slices.Index(stats.Percentiles, 0.50)
	p90 = slices.Index(stats.Percentiles, 0.90)
	p95 = slices.Index(stats.Percentiles, 0.95)
	p99 = slices.Index(stats.Percentiles, 0.99)
)

// handleStop is Locust's /stop.
func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	s.ctl.Stop()
	s.writeJSON(w, r, http.StatusOK, struct {
		Success bool   `json:"success"`
		Message string `json:"message"`
	}{true, "Test stopped"})
}

// handleReset is Locust's /stats/reset.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	s.ctl.ResetStats()
	writeText(w, http.StatusOK, "ok")
}

// locustStat is one row of Locust's /stats/requests "stats" list. Response
// times are milliseconds: avg a float, min and max rounded (as Locust), the
// median and percentiles numbers.
type locustStat struct {
	Method            *string `json:"method"` // null for the total, as Locust
	Name              string  `json:"name"`
	SafeName          string  `json:"safe_name"`
	Requests          uint64  `json:"num_requests"`
	Failures          uint64  `json:"num_failures"`
	Avg               float64 `json:"avg_response_time"`
	Min               float64 `json:"min_response_time"`
	Max               float64 `json:"max_response_time"`
	CurrentRPS        float64 `json:"current_rps"`
	CurrentFailPerSec float64 `json:"current_fail_per_sec"`
	Median            float64 `json:"median_response_time"`
	P90               float64 `json:"ninetieth_response_time"`
	P99               float64 `json:"ninety_ninth_response_time"`
	AvgContentLength  float64 `json:"avg_content_length"`
}

// locustError is one row of the "errors" list (the failures table).
type locustError struct {
	Method      string `json:"method"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences uint64 `json:"occurrences"`
}

// locustRequests is Locust's /stats/requests document.
type locustRequests struct {
	Stats     []locustStat  `json:"stats"`
	Errors    []locustError `json:"errors"`
	TotalRPS  float64       `json:"total_rps"`
	FailRatio float64       `json:"fail_ratio"`
	// The total's percentiles over about the last 10 seconds; null before
	// the first second of history.
	CurrentP95 *float64 `json:"current_response_time_percentile_95"`
	CurrentP50 *float64 `json:"current_response_time_percentile_50"`
	// A master's workers (missing ones included) and how many are not
	// missing, as Locust's master adds them; absent otherwise.
	Workers     *[]locustWorker `json:"workers,omitempty"`
	WorkerCount *int            `json:"worker_count,omitempty"`
	State       string          `json:"state"`
	Users       int             `json:"user_count"`
}

// locustWorker is one worker in a master's /stats/requests.
type locustWorker struct {
	ID     string  `json:"id"`
	State  string  `json:"state"`
	Users  int     `json:"user_count"`
	CPU    float64 `json:"cpu_usage"`    // percent
	Memory int64   `json:"memory_usage"` // bytes
}

// handleRequests is Locust's /stats/requests: the live table.
func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	st := s.ctl.Status()
	s.writeJSON(w, r, http.StatusOK, locustRequestsDoc(snap, st, lastRow(s.ctl.History())))
}

// locustRequestsDoc builds /stats/requests from a snapshot, the status and
// the latest history row (nil if none).
func locustRequestsDoc(snap *stats.Snapshot, st Status, last *stats.HistoryRow) locustRequests {
	rows := make([]locustStat, 0, min(len(snap.Entries), maxLocustRows)+1)
	for i := range snap.Entries {
		if len(rows) == maxLocustRows {
			break
		}
		rows = append(rows, locustStatOf(&snap.Entries[i], false))
	}
	rows = append(rows, locustStatOf(&snap.Total, true))

	errs := make([]locustError, 0, min(len(snap.Failures), maxLocustRows))
	for _, f := range snap.Failures[:min(len(snap.Failures), maxLocustRows)] {
		errs = append(errs, locustError{
			Method:      f.Method,
			Name:        pyEscape(f.Name, true),
			Error:       pyEscape(f.Error, true),
			Occurrences: f.Occurrences,
		})
	}
	doc := locustRequests{
		Stats:     rows,
		Errors:    errs,
		TotalRPS:  finite(snap.Total.CurrentRPS),
		FailRatio: finite(snap.Total.FailRatio()),
		State:     st.State,
		Users:     st.Users,
	}
	if st.IsMaster {
		ws := make([]locustWorker, 0, len(st.Workers))
		for _, w := range workerDocs(st.Workers) {
			ws = append(ws, locustWorker{ID: w.ID, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory})
		}
		n := activeWorkers(st.Workers)
		doc.Workers, doc.WorkerCount = &ws, &n
	}
	if last != nil {
		p95v, p50v := percentileMs(last.CurrentPercentiles, p95), percentileMs(last.CurrentPercentiles, p50)
		doc.CurrentP95, doc.CurrentP50 = &p95v, &p50v
	}
	return doc
}

func locustStatOf(e *stats.Entry, total bool) locustStat {
	var method *string
	if !total {
		method = &e.Method
	}
	return locustStat{
		Method:            method,
		Name:              e.Name,
		SafeName:          pyEscape(e.Name, false),
		Requests:          e.Requests,
		Failures:          e.Failures,
		Avg:               ms(e.Mean),
		Min:               roundHalfUp(ms(e.Min)),
		Max:               roundHalfUp(ms(e.Max)),
		CurrentRPS:        finite(e.CurrentRPS),
		CurrentFailPerSec: finite(e.CurrentFailPerSec),
		Median:            ms(e.Median),
		P90:               percentileMs(e.Percentiles, p90),
		P99:               percentileMs(e.Percentiles, p99),
		AvgContentLength:  finite(e.AvgSize()),
	}
}

// percentileMs is ps[i] in milliseconds, 0 when missing.
func percentileMs(ps []time.Duration, i int) float64 {
	if i < 0 || i >= len(ps) {
		return 0
	}
	return ms(ps[i])
}

// roundHalfUp is Locust's proper_round: halves round away from zero.
func roundHalfUp(v float64) float64 {
	if v < 0 {
		return -roundHalfUp(-v)
	}
	return float64(int64(v + 0.5))
}

// lastRow is the latest history row, nil if none.
func lastRow(rows []stats.HistoryRow) *stats.HistoryRow {
	if len(rows) == 0 {
		return nil
	}
	return &rows[len(rows)-1]
}

// locustException is one row of Locust's /exceptions.
type locustException struct {
	Count     uint64 `json:"count"`
	Msg       string `json:"msg"`
	Traceback string `json:"traceback"`
	Nodes     string `json:"nodes"` // joined by ", ", as Locust
}

// handleExceptions is Locust's /exceptions: errors raised by user code,
// message and traceback HTML-escaped as Locust escapes them.
func (s *Server) handleExceptions(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	rows := make([]locustException, 0, len(snap.Errors))
	for _, e := range snap.Errors {
		rows = append(rows, locustException{
			Count:     e.Count,
			Msg:       pyEscape(e.Message, true),
			Traceback: pyEscape(e.Trace, true),
			Nodes:     strings.Join(e.Nodes, ", "),
		})
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Exceptions []locustException `json:"exceptions"`
	}{rows})
}

// handleRequestsCSV is Locust's /stats/requests/csv.
func (s *Server) handleRequestsCSV(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	s.download(w, r, "requests", "csv", contentCSV, func(w io.Writer) error { return report.WriteStatsCSV(w, snap) })
}

// handleFailuresCSV is Locust's /stats/failures/csv.
func (s *Server) handleFailuresCSV(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	s.download(w, r, "failures", "csv", contentCSV, func(w io.Writer) error { return report.WriteFailuresCSV(w, snap) })
}

// handleExceptionsCSV is Locust's /exceptions/csv.
func (s *Server) handleExceptionsCSV(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	s.download(w, r, "exceptions", "csv", contentCSV, func(w io.Writer) error { return report.WriteExceptionsCSV(w, snap) })
}

// handleFullHistoryCSV is Locust's /stats/requests_full_history/csv: the
// --csv-full-history file as it is now, 404 without one.
func (s *Server) handleFullHistoryCSV(w http.ResponseWriter, r *http.Request) {
	name := s.ctl.FullHistoryCSV()
	if name == "" {
		writeText(w, http.StatusNotFound, "Error: Server was not started with option to generate full history.\n")
		return
	}
	s.download(w, r, "requests_full_history", "csv", contentCSV, func(w io.Writer) error {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

// handleReport is Locust's /stats/report: the self-contained HTML report,
// as an attachment with ?download=1 (any non-empty value, as Locust).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	if s.opts.Report == nil {
		writeText(w, http.StatusNotFound, "no HTML report in this build\n")
		return
	}
	var b bytes.Buffer
	if err := s.opts.Report(&b, s.ctl); err != nil {
		s.serverError(w, r, fmt.Errorf("render HTML report: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentHTML)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", reportCSP)
	if r.URL.Query().Get("download") != "" {
		h.Set("Content-Disposition", attachment("report", "html", s.now()))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// handleTasks is Locust's /tasks: how often each task runs.
func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request) {
	tr := s.ctl.TaskRatio()
	if tr.PerClass == nil {
		tr.PerClass = map[string]ClassRatio{}
	}
	if tr.Total == nil {
		tr.Total = map[string]ClassRatio{}
	}
	s.writeJSON(w, r, http.StatusOK, tr)
}

// snapshot is the controller's snapshot, or an empty one if it has none.
func (s *Server) snapshot() *stats.Snapshot {
	if snap := s.ctl.Snapshot(); snap != nil {
		return snap
	}
	now := s.now()
	return &stats.Snapshot{Time: now, Start: now, Total: stats.Entry{Name: stats.TotalName}}
}
