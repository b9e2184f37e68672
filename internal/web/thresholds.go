package web

import (
	"net/http"

	"github.com/herdload/herd/internal/threshold"
)

// thresholdDoc is one threshold's result in /api/thresholds, the
// "thresholds" of every /api/events update and the HTML report.
type thresholdDoc struct {
	// Expr is the threshold in canonical form: "GET /cart: p95<300ms".
	Expr string `json:"expr"`
	// Status is "pending" (no data yet), "pass" or "fail".
	Status string `json:"status"`
	NoData bool   `json:"no_data"`
	// Value is the observed value in Unit ("ms", "ratio", "count",
	// "req/s"), 0 without data; Observed is the same for people.
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Observed string  `json:"observed"`
	// Message explains the result: "p95 312.4ms, want <300ms".
	Message string `json:"message"`
	// FirstFailed is when the threshold was first seen broken (RFC 3339,
	// UTC), null if it never was.
	FirstFailed *string `json:"first_failed"`
	// Abort is set while a broken threshold with the abort option stops
	// the run.
	Abort bool `json:"abort"`
}

// thresholdDocs renders rs, [] when there are none.
func thresholdDocs(rs []threshold.Result) []thresholdDoc {
	out := make([]thresholdDoc, 0, len(rs))
	for _, r := range rs {
		out = append(out, thresholdDoc{
			Expr: r.Expr, Status: r.Status.String(), NoData: r.NoData,
			Value: finite(r.Value), Unit: r.Unit, Observed: r.Observed, Message: r.Message(),
			FirstFailed: rfc3339(r.FirstFailed), Abort: r.Abort,
		})
	}
	return out
}

// handleThresholds is /api/thresholds: every threshold's live result.
func (s *Server) handleThresholds(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, thresholdDocs(s.ctl.Thresholds()))
}
