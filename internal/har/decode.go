// Package har turns a browser recording (a HAR file, as Chromium's and
// Firefox's developer tools export it) into a herd test program: the
// `herd har` command. Decode reads the file, Generate writes the program:
// which requests it keeps (filter.go), how it groups them into tasks with
// the recorded pauses (group.go), what of each request it replays
// (request.go), which values it flags as dynamic (dynamic.go), and the Go
// source itself (generate.go).
package har

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxSize is the largest HAR file Decode reads: recordings keep response
// bodies, so they can be large, but not without bound.
const MaxSize = 1 << 30

// HAR is a decoded recording: the fields herd uses of the HAR 1.2 format.
// Other fields, and the custom "_…" fields browsers add, are ignored.
type HAR struct {
	Log Log `json:"log"`
}

// Log is the recording.
type Log struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Pages   []Page  `json:"pages"`
	Entries []Entry `json:"entries"`
}

// Creator is the tool that recorded the file.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Page is one page the browser loaded.
type Page struct {
	ID              string `json:"id"`
	Title           string `json:"title"`
	StartedDateTime string `json:"startedDateTime"`

	start time.Time
}

// Entry is one request and its response.
type Entry struct {
	PageRef         string   `json:"pageref"`
	StartedDateTime string   `json:"startedDateTime"`
	Time            float64  `json:"time"` // milliseconds, the whole exchange
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	// ResourceType is Chromium's own kind of the request ("document",
	// "script", "xhr", …); other browsers leave it empty.
	ResourceType string `json:"_resourceType"`

	start time.Time
	index int // the entry's place in the file
}

// end is when the entry's response ended.
func (e *Entry) end() time.Time {
	return e.start.Add(time.Duration(max(e.Time, 0) * float64(time.Millisecond)))
}

// Request is what the browser sent.
type Request struct {
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Headers  []NameValue `json:"headers"`
	PostData *PostData   `json:"postData"`
}

// NameValue is a header (or a query or form parameter).
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PostData is a request body.
type PostData struct {
	MimeType string      `json:"mimeType"`
	Text     string      `json:"text"`
	Params   []NameValue `json:"params"`
}

// Response is what came back.
type Response struct {
	Status      int         `json:"status"`
	Headers     []NameValue `json:"headers"`
	Content     Content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
}

// Content is a response body.
type Content struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding"` // "base64", or "" for text
}

// text is the body as text, "" when it is not text.
func (c *Content) text() string {
	if c.Encoding == "" {
		return c.Text
	}
	if !strings.EqualFold(c.Encoding, "base64") || !textual(c.MimeType) {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(c.Text)
	if err != nil {
		return ""
	}
	return string(b)
}

// textual reports whether a MIME type is text a token could hide in.
func textual(mime string) bool {
	mime = strings.ToLower(mime)
	return strings.HasPrefix(mime, "text/") || strings.Contains(mime, "json") ||
		strings.Contains(mime, "xml") || strings.Contains(mime, "javascript") ||
		strings.Contains(mime, "x-www-form-urlencoded")
}

// Decode reads a HAR file. It checks what Generate relies on (a log with
// entries, each with a method, an absolute URL and a start time) and
// reports every broken entry at once.
func Decode(r io.Reader) (*HAR, error) {
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	dec := json.NewDecoder(lr)
	var h HAR
	if err := dec.Decode(&h); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("har: larger than %d MiB", MaxSize>>20)
		}
		return nil, fmt.Errorf("har: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("har: data after the HAR object")
	}
	if h.Log.Entries == nil {
		return nil, errors.New("har: no log.entries: not a HAR file")
	}
	var errs []error
	for i := range h.Log.Pages {
		p := &h.Log.Pages[i]
		t, err := parseTime(p.StartedDateTime)
		if err != nil {
			errs = append(errs, fmt.Errorf("page %d (%s): startedDateTime: %w", i, p.ID, err))
		}
		p.start = t
	}
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		e.index = i
		t, err := parseTime(e.StartedDateTime)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: startedDateTime: %w", i, err))
		}
		e.start = t
		if e.Request.Method == "" {
			errs = append(errs, fmt.Errorf("entry %d: no request method", i))
		}
		if !strings.Contains(e.Request.URL, ":") {
			errs = append(errs, fmt.Errorf("entry %d: request URL %q is not absolute", i, e.Request.URL))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	return &h, nil
}

// parseTime reads an ISO 8601 date-time as HAR writes it, with or without
// a zone (without one, UTC is assumed).
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", s)
}
