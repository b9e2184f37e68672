package har

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// marked is a value of a replayed request that looks dynamic: a real test
// extracts it from the response that issues it instead of replaying the
// recorded one.
type marked struct {
	where  string // "header Authorization", "query parameter \"id\"", …
	value  string
	kind   string // "a JWT", "a UUID", "a hex token", "a token"; "" for none
	origin *Entry // the earlier response it came in; nil for none
}

var (
	jwtRE   = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)
	uuidRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexRE   = regexp.MustCompile(`^[0-9a-fA-F]{16,}$`)
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9_+/=.-]{24,}$`)
)

// kindOf says what a value looks like, "" when nothing in particular.
func kindOf(v string) string {
	switch {
	case jwtRE.MatchString(v):
		return "a JWT"
	case uuidRE.MatchString(v):
		return "a UUID"
	case hexRE.MatchString(v):
		return "a hex token"
	case tokenRE.MatchString(v) && mixed(v):
		return "a token"
	}
	return ""
}

// mixed reports whether v has digits and both upper and lower case
// letters, as random tokens do and words, slugs and paths do not.
func mixed(v string) bool {
	var digit, upper, lower bool
	for _, r := range v {
		digit = digit || unicode.IsDigit(r)
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
	}
	return digit && upper && lower
}

// traceable reports whether a value is distinctive enough to look for in
// earlier responses: "3", "true" or "products" are everywhere, while
// server-issued ids and tokens have digits or are long.
func traceable(v string) bool {
	return len(v) >= 16 || len(v) >= 4 && strings.ContainsAny(v, "0123456789")
}

// maxScan caps how much of one response is searched for values.
const maxScan = 4 << 20

// tracer follows values through a recording in time order: a value first
// seen in a response, then sent in a request, came from the server; one
// the browser sent first is the user's own input.
type tracer struct {
	responses []traced
	origin    map[string]*Entry // a value's first source; nil: a request
}

type traced struct {
	e    *Entry
	text string // the response's headers and textual body
}

func newTracer() *tracer { return &tracer{origin: map[string]*Entry{}} }

// flags returns the dynamic-looking values of c, which is made for entry
// e; then, like every entry, e's request and response join the trace.
func (t *tracer) flags(c *call) []marked {
	var out []marked
	for _, v := range values(c) {
		kind := kindOf(v.value)
		origin, known := t.origin[v.value]
		if !known {
			if traceable(v.value) || kind != "" {
				origin = t.find(v.value)
			}
			t.origin[v.value] = origin
		}
		if kind != "" || origin != nil {
			out = append(out, marked{where: v.where, value: v.value, kind: kind, origin: origin})
		}
	}
	return out
}

// sent records the values of a request that is not replayed, so that they
// count as the browser's own when they came from no response.
func (t *tracer) sent(c *call) {
	for _, v := range values(c) {
		if _, known := t.origin[v.value]; !known {
			t.origin[v.value] = t.find(v.value)
		}
	}
}

// answered adds e's response to the trace.
func (t *tracer) answered(e *Entry) {
	var b strings.Builder
	for _, h := range e.Response.Headers {
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	if text := e.Response.Content.text(); len(text) <= maxScan {
		b.WriteString(text)
	} else {
		b.WriteString(text[:maxScan])
	}
	t.responses = append(t.responses, traced{e: e, text: b.String()})
}

// find returns the first response that contained v.
func (t *tracer) find(v string) *Entry {
	if !traceable(v) && kindOf(v) == "" {
		return nil
	}
	for _, r := range t.responses {
		if strings.Contains(r.text, v) {
			return r.e
		}
	}
	return nil
}

// placed is a value and where a request carries it.
type placed struct{ where, value string }

// values lists the values a request carries: path segments, query and
// form parameters, kept headers, JSON body fields.
func values(c *call) []placed {
	var out []placed
	add := func(where, v string) {
		if v != "" {
			out = append(out, placed{where, v})
		}
	}
	if u, err := url.Parse(c.url); err == nil {
		for seg := range strings.SplitSeq(u.Path, "/") {
			if s, err := url.PathUnescape(seg); err == nil {
				add("the URL path", s)
			}
		}
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			k, _ = url.QueryUnescape(k)
			if uv, err := url.QueryUnescape(v); err == nil {
				add("query parameter "+strconv.Quote(k), uv)
			}
		}
	}
	for _, h := range c.headers {
		v := h.Value
		if strings.EqualFold(h.Name, "Authorization") {
			if _, token, ok := strings.Cut(v, " "); ok {
				v = token // "Bearer xyz": the token
			}
		}
		add("header "+h.Name, v)
	}
	if b := c.body; b != nil {
		for _, f := range b.form {
			add("form field "+strconv.Quote(f.Name), f.Value)
		}
		if b.isJSON() {
			jsonLeaves(b.text, func(key, v string) { add("body field "+strconv.Quote(key), v) })
		}
	}
	return out
}

// jsonLeaves calls fn with the key and text of every string and number in
// a JSON document, in document order (up to where it stops being JSON).
func jsonLeaves(doc string, fn func(key, v string)) {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var objects []bool // per open container: is it an object?
	key, wantKey := "", false
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				objects = append(objects, tok == '{')
				wantKey = tok == '{'
			} else {
				objects = objects[:len(objects)-1]
				wantKey = len(objects) > 0 && objects[len(objects)-1]
			}
			continue
		case string:
			if wantKey {
				key, wantKey = tok, false
				continue
			}
			fn(key, tok)
		case json.Number:
			fn(key, tok.String())
		}
		wantKey = len(objects) > 0 && objects[len(objects)-1]
	}
}
