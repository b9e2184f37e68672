package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"math"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// Report is what the self-contained HTML report shows: the run's
// parameters, its statistics and the total's history.
type Report struct {
	Title       string // the page title; "" gives "herd load test report"
	Host        string
	Users       int     // the target user count
	SpawnRate   float64 // users per second
	RunTime     time.Duration
	UserClasses []string // the classes that ran; empty: all
	Start, End  time.Time
	Stats       *stats.Snapshot    // nil: no statistics
	History     []stats.HistoryRow // the total's per-second rows, oldest first
	// Workers is a master's workers as of the report (missing ones
	// included); nil when the test did not run distributed, and then the
	// report has no workers table. A master with no worker left is an
	// empty, non-nil slice.
	Workers []WorkerInfo
	// Shape is the load shape that drove the user count, "" when none.
	Shape string
	// ArrivalRate is the open model's arrival rate spec, "" in the closed
	// model; then Users is the pool and MaxUsers its cap (0: the pool).
	ArrivalRate string
	MaxUsers    int
	// Thresholds are the thresholds' results (the final verdict once the
	// run ended); nil or empty when none were configured, and then the
	// report has no thresholds section.
	Thresholds []threshold.Result
}

// reportHistoryPoints bounds the history embedded in a report: enough for a
// chart as wide as a screen, small enough that a day-long run stays a
// report of a few MB.
const reportHistoryPoints = 1200

// reportCSPMeta is the report's own Content-Security-Policy, so that even
// opened from a file it runs only its inline script and fetches nothing.
const reportCSPMeta = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// ReportFromController gathers the report of c's current (or last) test.
func ReportFromController(c Controller) Report {
	st := c.Status()
	r := Report{
		Host:      st.Host,
		Users:     st.TargetUsers,
		SpawnRate: st.SpawnRate,
		RunTime:   st.RunTime,
		Start:     st.StartedAt,
		End:       st.StoppedAt,
		Stats:     c.Snapshot(),
		History:   c.History(),

		Shape:       st.Shape,
		ArrivalRate: st.ArrivalRate,
		MaxUsers:    st.MaxUsers,
		Thresholds:  c.Thresholds(),
	}
	if st.IsMaster {
		r.Workers = append([]WorkerInfo{}, st.Workers...)
	}
	for _, uc := range st.UserClasses {
		if uc.Selected {
			r.UserClasses = append(r.UserClasses, uc.Name)
		}
	}
	if r.Stats != nil {
		if r.Start.IsZero() {
			r.Start = r.Stats.Start
		}
		if r.End.IsZero() { // still running: the report is as of now
			r.End = r.Stats.Time
		}
	}
	if r.Users == 0 {
		for i := range r.History {
			r.Users = max(r.Users, r.History[i].Users)
		}
	}
	return r
}

// reportDoc is the JSON embedded in the report page.
type reportDoc struct {
	Title       string   `json:"title"`
	Host        string   `json:"host"`
	Users       int      `json:"users"`
	SpawnRate   float64  `json:"spawn_rate"`
	RunTime     float64  `json:"run_time_s"`
	UserClasses []string `json:"user_classes"`
	StartTime   string   `json:"start_time,omitempty"`
	EndTime     string   `json:"end_time,omitempty"`
	// Workers is a master's workers by index, absent when the test did not
	// run distributed.
	Workers *[]workerDoc `json:"workers,omitempty"`
	// Shape, ArrivalRate and MaxUsers are as in /api/state, absent when
	// empty.
	Shape       string `json:"shape,omitempty"`
	ArrivalRate string `json:"arrival_rate,omitempty"`
	MaxUsers    int    `json:"max_users,omitempty"`
	// Thresholds are as in /api/thresholds, absent without thresholds.
	Thresholds []thresholdDoc  `json:"thresholds,omitempty"`
	Report     json.RawMessage `json:"report"` // the JSON report (internal/report), history downsampled
}

// WriteHTMLReport writes r as one self-contained HTML page: the web UI's
// script and styles inlined, and the data embedded as JSON in a
// <script type="application/json" id="herd-report"> element, from which
// the UI renders the run parameters, the thresholds' verdict, the
// statistics and percentile tables (with the open model's response times
// from the intended start and its iterations), the charts, the failures and
// the errors. The page makes no network
// request, so it opens offline.
func WriteHTMLReport(w io.Writer, r Report) error {
	assets := Assets()
	js, err := fs.ReadFile(assets, "app.js")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	css, err := fs.ReadFile(assets, "app.css")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	// The bundler escapes "</script" inside strings; check rather than trust.
	if containsFold(js, "</script") || containsFold(js, "<!--") || containsFold(css, "</style") {
		return errors.New("html report: the UI bundle cannot be inlined (it contains a closing tag)")
	}
	data, err := reportData(r)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	title := r.Title
	if title == "" {
		title = "herd load test report"
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	for _, part := range [][]byte{
		[]byte("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
			"<meta name=\"color-scheme\" content=\"light dark\">\n" +
			"<meta http-equiv=\"Content-Security-Policy\" content=\"" + reportCSPMeta + "\">\n" +
			"<meta name=\"generator\" content=\"herd\">\n<title>"),
		[]byte(html.EscapeString(title)),
		[]byte("</title>\n<style>\n"), css,
		[]byte("</style>\n</head>\n<body>\n<div id=\"app\"></div>\n" +
			"<noscript>This report needs JavaScript to render. Its data is the JSON in the element with the id herd-report.</noscript>\n" +
			"<script type=\"application/json\" id=\"herd-report\">"),
		data,
		[]byte("</script>\n<script>\n"), js,
		[]byte("</script>\n</body>\n</html>\n"),
	} {
		if _, err := bw.Write(part); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// reportData is the report's JSON, safe to place inside a <script> element:
// json.Marshal escapes <, > and & in every string (RawMessage included), so
// no name or message can close the element.
func reportData(r Report) ([]byte, error) {
	snap := r.Stats
	if snap == nil {
		end := r.End
		if end.IsZero() {
			end = r.Start
		}
		snap = &stats.Snapshot{Time: end, Start: r.Start, Duration: end.Sub(r.Start), Total: stats.Entry{Name: stats.TotalName}}
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, snap, downsample(r.History, reportHistoryPoints)); err != nil {
		return nil, err
	}
	doc := reportDoc{
		Title:       r.Title,
		Host:        r.Host,
		Users:       r.Users,
		SpawnRate:   r.SpawnRate,
		RunTime:     r.RunTime.Seconds(),
		UserClasses: append([]string{}, r.UserClasses...),
		Shape:       r.Shape,
		ArrivalRate: r.ArrivalRate,
		MaxUsers:    r.MaxUsers,
		Report:      js.Bytes(),
	}
	if len(r.Thresholds) > 0 {
		doc.Thresholds = thresholdDocs(r.Thresholds)
	}
	if r.Workers != nil {
		ws := workerDocs(r.Workers)
		doc.Workers = &ws
	}
	if math.IsNaN(doc.SpawnRate) || math.IsInf(doc.SpawnRate, 0) {
		doc.SpawnRate = 0
	}
	if !r.Start.IsZero() {
		doc.StartTime = r.Start.Format(time.RFC3339Nano)
	}
	if !r.End.IsZero() {
		doc.EndTime = r.End.Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if bytes.ContainsAny(b, "<>") {
		return nil, errors.New("report data is not escaped") // json.Marshal guarantees it
	}
	return b, nil
}

// containsFold reports whether b contains the ASCII string s, ignoring case.
func containsFold(b []byte, s string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(s))
}
