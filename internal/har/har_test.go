package har

import (
	"go/format"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, err string }{
		{"not json", `<html>`, "invalid character"},
		{"no entries", `{"log":{"version":"1.2"}}`, "no log.entries"},
		{"trailing", `{"log":{"entries":[]}} {}`, "data after"},
		{"bad time", `{"log":{"entries":[{"startedDateTime":"yesterday","request":{"method":"GET","url":"http://h/"}}]}}`, "not an ISO 8601"},
		{"no method", `{"log":{"entries":[{"startedDateTime":"2025-01-01T00:00:00Z","request":{"url":"http://h/"}}]}}`, "no request method"},
		{"relative url", `{"log":{"entries":[{"startedDateTime":"2025-01-01T00:00:00Z","request":{"method":"GET","url":"/x"}}]}}`, "not absolute"},
		{"every problem", `{"log":{"entries":[{"startedDateTime":"x","request":{"url":"/x"}}]}}`, "no request method"},
	} {
		_, err := Decode(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.err)
		}
	}
	if _, err := Decode(strings.NewReader(`{"log":{"entries":[{"startedDateTime":"2025-01-01T00:00:00.5","request":{"method":"GET","url":"http://h/"}}]}}`)); err != nil {
		t.Errorf("a time without a zone: %v", err)
	}
}

func entry(method, rawURL string, status int, mime, kind string) *Entry {
	return &Entry{Request: Request{Method: method, URL: rawURL}, Response: Response{Status: status, Content: Content{MimeType: mime}}, ResourceType: kind}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	preflight := entry("OPTIONS", "https://shop.test/api", 204, "", "")
	preflight.Request.Headers = []NameValue{{Name: "access-control-request-method", Value: "POST"}}
	redirect := entry("POST", "https://shop.test/login", 302, "", "")
	redirect.Response.Headers = []NameValue{{Name: "Location", Value: "/home?x=1"}}
	for _, c := range []struct {
		name string
		e    *Entry
		o    Options
		want skip
	}{
		{"api", entry("GET", "https://shop.test/api/x", 200, "application/json", "xhr"), Options{}, keep},
		{"png by type", entry("GET", "https://shop.test/a", 200, "image/png", ""), Options{}, skipStatic},
		{"css by extension", entry("GET", "https://shop.test/a.CSS?v=1", 200, "", ""), Options{}, skipStatic},
		{"font by kind", entry("GET", "https://shop.test/f", 200, "", "font"), Options{}, skipStatic},
		{"js type", entry("GET", "https://shop.test/app", 200, "text/javascript; charset=utf-8", ""), Options{}, skipStatic},
		{"static kept", entry("GET", "https://shop.test/a.png", 200, "image/png", ""), Options{KeepStatic: true}, keep},
		{"other host", entry("GET", "https://cdn.test/x", 200, "application/json", ""), Options{}, skipHost},
		{"kept host", entry("GET", "https://cdn.test/x", 200, "application/json", ""), Options{KeepHosts: []string{"CDN.test"}}, keep},
		{"kept host:port", entry("GET", "https://cdn.test:8443/x", 200, "", ""), Options{KeepHosts: []string{"cdn.test:8443"}}, keep},
		{"all hosts", entry("GET", "https://cdn.test/x", 200, "", ""), Options{AllHosts: true}, keep},
		{"data", entry("GET", "data:image/png;base64,AA==", 200, "image/png", ""), Options{KeepStatic: true}, skipScheme},
		{"websocket", entry("GET", "wss://shop.test/ws", 101, "", "websocket"), Options{}, skipScheme},
		{"no response", entry("GET", "https://shop.test/x", 0, "", ""), Options{}, skipNoResp},
		{"preflight", preflight, Options{}, skipNoise},
	} {
		if got := filter([]*Entry{c.e}, "shop.test", c.o)[0]; got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// A GET a recorded redirect led to is the client's to make.
	got := filter([]*Entry{redirect, entry("GET", "https://shop.test/home?x=1", 200, "text/html", "document")}, "shop.test", Options{})
	if !slices.Equal(got, []skip{keep, skipNoise}) {
		t.Errorf("redirect: %q", got)
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig": "a JWT",
		"9f1c2e3a-4b5d-4e6f-8a7b-0c1d2e3f4a5b":     "a UUID",
		"c0ffee00c0ffee00":                         "a hex token",
		"k3Jd8sQ0pLmZ2vX9wT4yB7nR":                 "a token",
		"a-long-article-slug-from-2024-about-go":   "",
		"deadbeef":                                 "",
		"hello":                                    "",
		"1842":                                     "",
	} {
		if got := kindOf(v); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestJSONLeaves(t *testing.T) {
	t.Parallel()
	var got []string
	jsonLeaves(`{"a":"x","b":[1,{"c":"y","d":true}],"e":{"f":null,"g":2.5}}`, func(k, v string) { got = append(got, k+"="+v) })
	want := []string{"a=x", "b=1", "c=y", "g=2.5"}
	if !slices.Equal(got, want) {
		t.Errorf("leaves %q, want %q", got, want)
	}
}

// A value the browser sent before any response carried it is the user's
// own; one that came in a response first is flagged where it is used.
func TestTrace(t *testing.T) {
	t.Parallel()
	tr := newTracer()
	login := &Entry{Request: Request{Method: "POST", URL: "https://h/login"}}
	c := &call{method: "POST", url: "/login", body: &body{mime: "application/json", text: `{"user":"alice-2024"}`}}
	if f := tr.flags(c); len(f) != 0 {
		t.Errorf("the user's input flagged: %+v", f)
	}
	login.Response.Content.Text = `{"user":"alice-2024","cart":"cart-7781"}`
	tr.answered(login)
	c2 := &call{method: "GET", url: "/carts/cart-7781?owner=alice-2024"}
	f := tr.flags(c2)
	if len(f) != 1 || f[0].value != "cart-7781" || f[0].where != "the URL path" || f[0].origin != login {
		t.Errorf("flags %+v, want cart-7781 from the login response", f)
	}
}

func TestGroupAndPauses(t *testing.T) {
	t.Parallel()
	at := func(ms int) time.Time {
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	h := &HAR{Log: Log{Pages: []Page{{ID: "b", start: at(3000)}, {ID: "a", start: at(0)}}}}
	mk := func(ref string, ms int, dur float64) *Entry { return &Entry{PageRef: ref, start: at(ms), Time: dur} }
	es := []*Entry{mk("a", 0, 100), mk("a", 50, 450), mk("", 200, 0), mk("b", 3000, 10), mk("x", 3100, 40), mk("b", 3050, 20)}
	slices.SortStableFunc(es, func(a, b *Entry) int { return a.start.Compare(b.start) })
	pages := group(h, es)
	if len(pages) != 2 || len(pages[0].entries) != 3 || len(pages[1].entries) != 3 {
		t.Fatalf("pages of %d and %d entries, want 3 and 3", len(pages[0].entries), len(pages[1].entries))
	}
	// Page a ends at 500 ms, b starts at 3000 ms: a 2.5 s pause, and the
	// last one is their mean.
	if got := pauses(pages); !slices.Equal(got, []time.Duration{2500 * time.Millisecond, 2500 * time.Millisecond}) {
		t.Errorf("pauses %v", got)
	}
}

func TestLiteral(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", `{"a":"b"}`, "with `backquote` \"q\"", "cr\r\n\"", "nul\x00\"", "\xff\"", "tab\t\"\n"} {
		src := "package p\n\nvar v = " + literal(s) + "\n"
		if _, err := format.Source([]byte(src)); err != nil {
			t.Errorf("literal(%q) = %s: %v", s, literal(s), err)
			continue
		}
		lit := literal(s)
		var got string
		if lit[0] == '`' {
			got = lit[1 : len(lit)-1]
		} else {
			got, _ = strconv.Unquote(lit)
		}
		if got != s {
			t.Errorf("literal(%q) = %s reads %q", s, lit, got)
		}
	}
}
