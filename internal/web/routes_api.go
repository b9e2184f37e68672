package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// defaultHistoryPoints is /api/history's default point budget: one point
// per second for 20 minutes, and enough detail for a chart of any run.
const defaultHistoryPoints = 1200

// stateDoc is /api/state (and the "state" of every /api/events update).
type stateDoc struct {
	State       string  `json:"state"`
	Users       int     `json:"user_count"`
	TargetUsers int     `json:"target_users"`
	SpawnRate   float64 `json:"spawn_rate"`
	Host        string  `json:"host"`
	StartedAt   *string `json:"started_at"`
	StoppedAt   *string `json:"stopped_at"`
	// RunTime is the run time in seconds, 0 when the test runs until stopped.
	RunTime  float64 `json:"run_time_s"`
	Deadline *string `json:"deadline"`
	// RunTimeLeft is the seconds until Deadline (never negative), null
	// without a deadline.
	RunTimeLeft *float64   `json:"run_time_left_s"`
	UserClasses []classDoc `json:"user_classes"`
	ClassPicker bool       `json:"class_picker"`
	CPUWarning  bool       `json:"cpu_warning"`
	CPUPercent  float64    `json:"cpu_percent"` // 0–100 of the usable cores
	IsMaster    bool       `json:"is_master"`
	// WorkerCount is a master's workers that are not missing, 0 otherwise.
	WorkerCount int `json:"worker_count"`
	// Workers is a master's workers by index, missing ones included; []
	// when not a master.
	Workers []workerDoc `json:"workers"`
	// Shape is the load shape driving the user count, "" when none.
	Shape string `json:"shape"`
	// ArrivalRate is the open model's arrival rate spec, "" in the closed
	// model; MaxUsers is its pool's cap, 0 meaning the pool itself.
	ArrivalRate string `json:"arrival_rate"`
	MaxUsers    int    `json:"max_users"`
	ServerTime  string `json:"server_time"`
	// ExtraOptions are the test's own options for the start form's custom
	// parameters (Locust's extra_options); absent without any.
	ExtraOptions []optionDoc `json:"extra_options,omitempty"`
	// Tabs are the test's own tabs (extension.go); absent without any.
	Tabs []tabDoc `json:"tabs,omitempty"`
}

// workerDoc is one worker in /api/state and the HTML report, with Locust's
// names for its fields.
type workerDoc struct {
	ID     string  `json:"id"`
	Index  int     `json:"index"`
	State  string  `json:"state"`
	Users  int     `json:"user_count"`
	CPU    float64 `json:"cpu_usage"`    // percent, 0–100
	Memory int64   `json:"memory_usage"` // bytes
}

// workerDocs renders ws sorted by index (a copy: ws is not changed).
func workerDocs(ws []WorkerInfo) []workerDoc {
	out := make([]workerDoc, 0, len(ws))
	for _, w := range ws {
		out = append(out, workerDoc{
			ID: w.ID, Index: w.Index, State: w.State, Users: w.Users,
			CPU: math.Round(finite(w.CPU)*10) / 10, Memory: w.Memory,
		})
	}
	slices.SortStableFunc(out, func(a, b workerDoc) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// activeWorkers counts the workers that are not missing (Locust's
// worker_count).
func activeWorkers(ws []WorkerInfo) int {
	n := 0
	for _, w := range ws {
		if w.State != WorkerMissing {
			n++
		}
	}
	return n
}

type classDoc struct {
	Name       string `json:"name"`
	Weight     int    `json:"weight"`
	FixedCount int    `json:"fixed_count"`
	Selected   bool   `json:"selected"`
}

// newStateDoc renders st as of now. Times are RFC 3339 in UTC.
func newStateDoc(st Status, now time.Time) stateDoc {
	doc := stateDoc{
		State:        st.State,
		Users:        st.Users,
		TargetUsers:  st.TargetUsers,
		SpawnRate:    finite(st.SpawnRate),
		Host:         st.Host,
		StartedAt:    rfc3339(st.StartedAt),
		StoppedAt:    rfc3339(st.StoppedAt),
		RunTime:      st.RunTime.Seconds(),
		Deadline:     rfc3339(st.Deadline),
		UserClasses:  make([]classDoc, 0, len(st.UserClasses)),
		ClassPicker:  st.ClassPicker,
		CPUWarning:   st.CPUWarning,
		CPUPercent:   math.Round(finite(st.CPUShare)*1000) / 10,
		IsMaster:     st.IsMaster,
		Workers:      []workerDoc{},
		Shape:        st.Shape,
		ArrivalRate:  st.ArrivalRate,
		MaxUsers:     st.MaxUsers,
		ServerTime:   now.UTC().Format(time.RFC3339Nano),
		ExtraOptions: optionDocs(st.Options),
	}
	if st.IsMaster { // Workers without IsMaster are ignored
		doc.Workers, doc.WorkerCount = workerDocs(st.Workers), activeWorkers(st.Workers)
	}
	if !st.Deadline.IsZero() {
		left := max(0, st.Deadline.Sub(now)).Round(time.Millisecond).Seconds()
		doc.RunTimeLeft = &left
	}
	for _, c := range st.UserClasses {
		doc.UserClasses = append(doc.UserClasses, classDoc(c))
	}
	return doc
}

// rfc3339 renders t, or nil for the zero time.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// handleState is /api/state.
func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, s.stateDoc())
}

// stateDoc is the current /api/state.
func (s *Server) stateDoc() stateDoc {
	doc := newStateDoc(s.ctl.Status(), s.now())
	doc.Tabs = s.tabs
	return doc
}

// handleStats is /api/stats: the JSON report without history.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	b, err := report.MarshalStatsJSON(s.snapshot())
	if err != nil {
		s.serverError(w, r, fmt.Errorf("encode stats: %w", err))
		return
	}
	writeRawJSON(w, http.StatusOK, b)
}

// maxViewBody bounds the body of POST /api/view.
const maxViewBody = 1 << 20

// handleView is POST /api/view: the rows a client of /api/events shows,
// {"client": the "client" of its updates, "rows": [[method, name], …]}, so
// that its updates carry their changes first (at most maxViewRows are
// kept). It answers 204, also for a stream that ended meanwhile (its view
// no longer matters, and the page should not log an error for it).
func (s *Server) handleView(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Client string    `json:"client"`
		Rows   []viewKey `json:"rows"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxViewBody)).Decode(&req); err != nil {
		s.writeJSON(w, r, http.StatusBadRequest, failure{Message: "view: " + err.Error()})
		return
	}
	if sub := s.hub.client(req.Client); sub != nil {
		sub.setView(req.Rows)
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleHistory is /api/history?points=N: the total's history, downsampled
// to at most N points.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	n := defaultHistoryPoints
	if v := strings.TrimSpace(r.URL.Query().Get("points")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			s.writeJSON(w, r, http.StatusBadRequest, failure{
				Message: fmt.Sprintf("points: %q is not a whole number of points ≥ 1", v),
			})
			return
		}
		n = p
	}
	b, err := report.MarshalHistoryJSON(downsample(s.ctl.History(), n))
	if err != nil {
		s.serverError(w, r, fmt.Errorf("encode history: %w", err))
		return
	}
	writeRawJSON(w, http.StatusOK, append(append([]byte(`{"points":`), b...), '}'))
}

// handleReportJSON is /api/report.json: the JSON report with history, as a
// download.
func (s *Server) handleReportJSON(w http.ResponseWriter, r *http.Request) {
	snap, hist := s.snapshot(), s.ctl.History()
	s.download(w, r, "report", "json", contentJSON, func(w io.Writer) error {
		return report.WriteJSON(w, snap, hist)
	})
}

// handleHistoryCSV is /stats/history/csv: the total's stats history CSV, as
// a download.
func (s *Server) handleHistoryCSV(w http.ResponseWriter, r *http.Request) {
	hist := s.ctl.History()
	s.download(w, r, "stats_history", "csv", contentCSV, func(w io.Writer) error {
		if slices.ContainsFunc(hist, func(r stats.HistoryRow) bool { return r.CurrentIntended != nil }) {
			if err := report.WriteIntendedHistoryHeader(w); err != nil {
				return err
			}
			return report.WriteIntendedHistoryRows(w, hist)
		}
		if err := report.WriteHistoryHeader(w); err != nil {
			return err
		}
		return report.WriteHistoryRows(w, hist)
	})
}
