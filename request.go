package herd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/herdload/herd/internal/failure"
)

// Body is a request body with its content type. The zero Body sends none.
type Body struct {
	contentType string
	data        []byte
	err         error
}

// JSON encodes v as a JSON request body.
func JSON(v any) Body {
	data, err := json.Marshal(v)
	if err != nil {
		err = fmt.Errorf("herd.JSON: %w", err)
	}
	return Body{contentType: "application/json", data: data, err: err}
}

// Form encodes values as an application/x-www-form-urlencoded body.
func Form(values url.Values) Body {
	return Body{contentType: "application/x-www-form-urlencoded", data: []byte(values.Encode())}
}

// Raw sends data as is with the given content type ("" sends none).
func Raw(contentType string, data []byte) Body {
	return Body{contentType: contentType, data: data}
}

// Option adjusts one request: Name, Header, Timeout, Check or Accept. It
// is a plain value, so passing options costs no allocation.
type Option struct {
	kind       optionKind
	key, value string
	timeout    time.Duration
	check      func(*Response) error
	codes      []int // Accept's
}

type optionKind uint8

const (
	_ optionKind = iota // the zero Option does nothing
	optName
	optHeader
	optTimeout
	optCheck
	optAccept
)

// reqOptions is what a request's options add up to; the headers stay in
// the options themselves.
type reqOptions struct {
	name    string
	check   func(*Response) error
	timeout time.Duration
	accept  []int // statuses of 400 or more that succeed
	any     bool  // every status succeeds: Accept()
}

func applyOptions(opts []Option) reqOptions {
	var o reqOptions
	for i := range opts {
		switch op := &opts[i]; op.kind {
		case optName:
			o.name = op.value
		case optTimeout:
			o.timeout = op.timeout
		case optCheck:
			o.check = op.check
		case optAccept:
			if len(op.codes) == 0 {
				o.any = true
			}
			o.accept = op.codes // the last Accept wins, as for the other options
		}
	}
	return o
}

// Name groups the request in the statistics under name instead of its
// path, for URLs with variable parts: Name("/api/products/{id}").
func Name(name string) Option { return Option{kind: optName, value: name} }

// Header sets a request header, overriding the session's default.
func Header(key, value string) Option { return Option{kind: optHeader, key: key, value: value} }

// Timeout overrides the request timeout (--request-timeout) for one request.
func Timeout(d time.Duration) Option { return Option{kind: optTimeout, timeout: d} }

// Check adds a test of the response to the status rule (a status of 400 or
// more fails), like Locust's catch_response: return an error to count the
// request as a failure with that message, nil to leave the verdict to the
// status rule. So a check that only decodes the body still fails a 500.
//
// fn is called only for a response the status rule accepts: below 400, or
// a status Accept names. It is not called when the request failed in
// transport.
func Check(fn func(r *Response) error) Option { return Option{kind: optCheck, check: fn} }

// Accept makes the listed statuses successes, for a request where a 404 or
// a 409 is an answer rather than an error; with no codes, every status is
// (the Check alone decides, as Locust's response.success() does). A Check
// still runs on an accepted status and may fail it:
//
//	r := u.Client.Get(ctx, "/api/cart/7", herd.Accept(http.StatusNotFound),
//		herd.Check(func(r *herd.Response) error {
//			if r.StatusCode == http.StatusNotFound && !strings.Contains(r.Text(), "no such cart") {
//				return errors.New("404 from the wrong place")
//			}
//			return nil
//		}))
func Accept(codes ...int) Option { return Option{kind: optAccept, codes: codes} }

// Response is what a request got back. Its Body was read in full (up to the
// session's body limit) and its size recorded before the request returned.
type Response struct {
	StatusCode int
	// Body is the response body, at most the session's limit; for
	// FastHTTPUser it is only valid until the session's next request.
	Body []byte
	// Size is the full body size in bytes, even past the limit.
	Size int64
	// Duration is from just before sending to the end of the body.
	Duration time.Duration

	kind, name string
	err        error
	recorded   bool
	header     http.Header  // net/http's, or made from fast's on demand
	fast       *fastSession // FastHTTPUser: the session whose response this is
}

// Err is nil when the request counted as a success. Otherwise it is a
// *RequestError, already counted in the failure table: a task may return it
// to stop there without counting it twice. A request that could not even be
// built (a body JSON cannot encode; with HTTPUser, a malformed URL) was not
// sent nor counted: its error is returned as is, and counts as the task's
// error if the task returns it. Nor is one made after its user was killed
// (its error is the context's; the kill ends the task anyway).
func (r *Response) Err() error {
	if r.err == nil {
		return nil
	}
	if !r.recorded {
		return r.err // never sent (a bad URL or body): a user error
	}
	return &RequestError{Kind: r.kind, Name: r.name, Err: r.err}
}

// OK reports whether the request counted as a success.
func (r *Response) OK() bool { return r.err == nil }

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decoding %s %s response as JSON: %w", r.kind, r.name, err)
	}
	return nil
}

// Text returns the body as a string (a copy).
func (r *Response) Text() string { return string(r.Body) }

// Header returns the response headers, nil when no response arrived.
// With HTTPUser it is net/http's map. With FastHTTPUser the first call
// copies them out of the session's reused response (a request that never
// asks costs nothing), and like Body they are the latest response's.
func (r *Response) Header() http.Header {
	if r.header == nil && r.fast != nil && r.StatusCode != 0 {
		r.header = r.fast.headers()
	}
	return r.header
}

// verdict applies the status rule, then the check, to a response that
// arrived.
func (r *Response) verdict(o *reqOptions) error {
	if r.StatusCode >= 400 && !o.any && !slices.Contains(o.accept, r.StatusCode) {
		return &StatusError{Code: r.StatusCode, Status: http.StatusText(r.StatusCode)}
	}
	if o.check != nil {
		if err := o.check(r); err != nil {
			return &failure.UserError{Err: err}
		}
	}
	return nil
}

// joinURL resolves a request URL against the base URL and returns the full
// URL and the default statistics name: the path and query the request is
// sent to, without any fragment, as Locust names requests. A relative URL is
// appended to the base, so a base with a path ("http://host/api") prefixes
// it in the name too; an absolute URL (http:// or https://, in any case) is
// used as is.
func joinURL(base, rawURL string) (full, name string) {
	if hasHTTPScheme(rawURL) {
		return rawURL, absoluteName(rawURL)
	}
	rel, name := relativeURL(base, rawURL)
	return base + rel, name
}

// absoluteName is the statistics name of an absolute URL.
func absoluteName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return cutFragment(rawURL)
	}
	return u.RequestURI()
}

// relativeURL returns what a relative URL appends to the base (rawURL with
// a leading slash) and its statistics name, without building the full URL.
func relativeURL(base, rawURL string) (rel, name string) {
	if rawURL == "" || rawURL[0] != '/' {
		rawURL = "/" + rawURL
	}
	name = rawURL
	if p := basePath(base); p != "" {
		name = p + rawURL
	}
	return rawURL, cutFragment(name)
}

// hasHTTPScheme reports whether s starts with http:// or https://, in any
// case.
func hasHTTPScheme(s string) bool {
	return len(s) >= 7 && strings.EqualFold(s[:7], "http://") ||
		len(s) >= 8 && strings.EqualFold(s[:8], "https://")
}

// basePath is the path of a base URL without its trailing slash: "/api" in
// "http://host:8080/api", "" for "http://host:8080".
func basePath(base string) string {
	i := strings.Index(base, "://")
	if i < 0 {
		return ""
	}
	rest := base[i+3:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return ""
	}
	p := rest[j:]
	if k := strings.IndexAny(p, "?#"); k >= 0 {
		p = p[:k]
	}
	return strings.TrimRight(p, "/")
}

// cutFragment drops a "#fragment", which is never sent.
func cutFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}
