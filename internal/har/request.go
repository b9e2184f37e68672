package har

import (
	"net/textproto"
	"net/url"
	"strings"
)

// call is what the program replays of one entry.
type call struct {
	method  string
	url     string      // path and query on the recording's host; absolute elsewhere
	headers []NameValue // the headers that matter, in recorded order
	body    *body       // nil: none
	from    *Entry
}

// body is a request body as the program writes it.
type body struct {
	mime string      // its Content-Type as recorded
	text string      // JSON or raw bodies
	form []NameValue // urlencoded forms, in recorded order
}

// newCall keeps what matters of an entry's request: cookies are left to
// the session's jar, and browser headers (User-Agent, Sec-*, encodings,
// caching, Referer, Origin…) to the client.
func newCall(e *Entry, host string) *call {
	c := &call{method: strings.ToUpper(e.Request.Method), from: e}
	u, err := url.Parse(e.Request.URL)
	switch {
	case err != nil:
		c.url = e.Request.URL
	case strings.EqualFold(u.Host, host):
		c.url = u.RequestURI()
	default:
		u.Fragment, u.RawFragment = "", ""
		c.url = u.String()
	}
	for _, h := range e.Request.Headers {
		if keepHeader(h) {
			c.headers = append(c.headers, NameValue{Name: textproto.CanonicalMIMEHeaderKey(h.Name), Value: h.Value})
		}
	}
	if pd := e.Request.PostData; pd != nil && (pd.Text != "" || len(pd.Params) > 0) {
		c.body = newBody(pd)
	}
	return c
}

// keepHeader reports whether a request header matters to the server (the
// rest is the browser's own, or the session's: cookies, encodings).
func keepHeader(h NameValue) bool {
	name := strings.ToLower(h.Name)
	switch {
	case name == "authorization", name == "if-match":
		return true
	case name == "accept":
		// The browser's defaults say nothing; an API's "application/json" may.
		return h.Value != "*/*" && !strings.Contains(h.Value, "text/html")
	case name == "x-client-data": // Chromium's field-trial header
		return false
	case strings.HasPrefix(name, "x-"):
		return true
	}
	return false
}

func newBody(pd *PostData) *body {
	b := &body{mime: pd.MimeType, text: pd.Text}
	if !strings.HasPrefix(strings.ToLower(pd.MimeType), "application/x-www-form-urlencoded") {
		return b
	}
	switch {
	case len(pd.Params) > 0:
		for _, p := range pd.Params {
			name, err1 := url.QueryUnescape(p.Name) // Firefox keeps them encoded
			value, err2 := url.QueryUnescape(p.Value)
			if err1 != nil || err2 != nil {
				name, value = p.Name, p.Value
			}
			b.form = append(b.form, NameValue{Name: name, Value: value})
		}
	default:
		for pair := range strings.SplitSeq(pd.Text, "&") {
			if pair == "" {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			name, err1 := url.QueryUnescape(k)
			value, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				return b // not a form after all: sent as it is
			}
			b.form = append(b.form, NameValue{Name: name, Value: value})
		}
	}
	b.text = ""
	return b
}

// isJSON reports whether the body is JSON.
func (b *body) isJSON() bool { return strings.Contains(strings.ToLower(b.mime), "json") }
