package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Content types of the API's answers.
const (
	contentJSON = "application/json"
	contentCSV  = "text/csv; charset=utf-8"
	contentText = "text/plain; charset=utf-8"
	contentHTML = "text/html; charset=utf-8"
)

// failure is the body of a refused state-changing request, Locust's shape.
type failure struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// writeJSON answers v as JSON. encoding/json escapes <, > and & in strings,
// so even a client that ignored the content type could not be fed markup.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.serverError(w, r, fmt.Errorf("encode JSON: %w", err))
		return
	}
	writeRawJSON(w, status, b)
}

// writeRawJSON answers b, which is already JSON.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentJSON)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// writeText answers a short plain-text body.
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", contentText)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// serverError logs err and answers 500 without details.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeText(w, http.StatusInternalServerError, "internal server error\n")
}

// download answers what render writes as an attachment named
// prefix_<unix seconds>.ext, Locust's naming (requests_1700000000.csv). The
// body is rendered first, so a failure is a clean 500.
func (s *Server) download(w http.ResponseWriter, r *http.Request, prefix, ext, contentType string, render func(io.Writer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		s.serverError(w, r, fmt.Errorf("render %s: %w", prefix, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", attachment(prefix, ext, s.now()))
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// attachment is a Content-Disposition header for prefix_<unix seconds>.ext.
func attachment(prefix, ext string, now time.Time) string {
	return fmt.Sprintf(`attachment; filename="%s_%d.%s"`, prefix, now.Unix(), ext)
}

// pyEscape is Python's html.escape: &, < and > always, " and ' too when
// quote is set, with Python's entities (Go's html.EscapeString uses others).
func pyEscape(s string, quote bool) string {
	if quote {
		return pyQuoteEscaper.Replace(s)
	}
	return pyEscaper.Replace(s)
}

var (
	pyEscaper      = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	pyQuoteEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")
)

// ms is d in milliseconds with microsecond precision, herd's resolution.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)/time.Microsecond) / 1000
}

// finite replaces NaN and infinities, which JSON can't hold, by 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
