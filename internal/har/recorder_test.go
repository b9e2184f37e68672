package har

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// recorder builds a HAR from Chromium's network events, as DevTools'
// "Save all as HAR" does: Network.requestWillBeSent starts an entry (and a
// page, for a document), responseReceived and loadingFinished (or
// loadingFailed) complete it, and Network.getResponseBody fills its body.
type recorder struct {
	mu      sync.Mutex
	pages   []Page
	entries []*recorded
	byID    map[network.RequestID]*recorded
}

type recorded struct {
	id       network.RequestID
	pageref  string
	wall     float64 // seconds since the epoch
	mono     float64 // seconds, Chromium's monotonic clock
	end      float64
	request  *network.Request
	kind     network.ResourceType
	response *network.Response
	done     bool // finished or failed
	failed   bool
	fetched  bool // the body was asked for
	body     []byte
}

func newRecorder() *recorder { return &recorder{byID: map[network.RequestID]*recorded{}} }

// observe is a chromedp listener.
func (r *recorder) observe(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		prev := r.byID[ev.RequestID]
		switch {
		case prev != nil && ev.RedirectResponse != nil:
			prev.response, prev.done, prev.end, prev.fetched = ev.RedirectResponse, true, ev.Timestamp.Float64(), true
		case prev != nil:
			return // the same request announced again (Chromium does, for some fetches)
		}
		if ev.Type == network.ResourceTypeDocument && string(ev.RequestID) == string(ev.LoaderID) && ev.RedirectResponse == nil {
			r.pages = append(r.pages, Page{
				ID:              fmt.Sprintf("page_%d", len(r.pages)+1),
				Title:           ev.Request.URL,
				StartedDateTime: wallTime(ev.WallTime.Float64()),
			})
		}
		e := &recorded{id: ev.RequestID, wall: ev.WallTime.Float64(), mono: ev.Timestamp.Float64(), request: ev.Request, kind: ev.Type}
		if len(r.pages) > 0 {
			e.pageref = r.pages[len(r.pages)-1].ID
		}
		r.entries = append(r.entries, e)
		r.byID[ev.RequestID] = e
	case *network.EventResponseReceived:
		if e := r.byID[ev.RequestID]; e != nil {
			e.response = ev.Response
		}
	case *network.EventLoadingFinished:
		if e := r.byID[ev.RequestID]; e != nil {
			e.done, e.end = true, ev.Timestamp.Float64()
		}
	case *network.EventLoadingFailed:
		if e := r.byID[ev.RequestID]; e != nil {
			e.done, e.failed, e.end, e.fetched = true, true, ev.Timestamp.Float64(), true
		}
	}
}

// settle waits until every request has finished, then reads the bodies
// not read yet (before the next navigation drops them) and names the
// current page after its document's title.
func (r *recorder) settle(ctx context.Context) error {
	for {
		r.mu.Lock()
		busy := slices.ContainsFunc(r.entries, func(e *recorded) bool { return !e.done })
		r.mu.Unlock()
		if !busy {
			break
		}
		select {
		case <-ctx.Done():
			r.mu.Lock()
			var urls []string
			for _, e := range r.entries {
				if !e.done {
					urls = append(urls, string(e.kind)+" "+e.request.URL)
				}
			}
			r.mu.Unlock()
			return fmt.Errorf("requests still loading (%v): %w", urls, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	r.mu.Lock()
	var todo []*recorded
	for _, e := range r.entries {
		if !e.fetched {
			e.fetched = true
			todo = append(todo, e)
		}
	}
	r.mu.Unlock()
	for _, e := range todo {
		res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: e.id})
		if err == nil {
			r.mu.Lock()
			e.body = res.Body
			r.mu.Unlock()
		}
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.title"))
	if err == nil && title != "" {
		r.mu.Lock()
		r.pages[len(r.pages)-1].Title = title
		r.mu.Unlock()
	}
	return nil
}

// har returns the recording.
func (r *recorder) har(product string) *HAR {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &HAR{Log: Log{Version: "1.2", Creator: Creator{Name: product, Version: "(network events, herd's recorder)"}, Pages: slices.Clone(r.pages)}}
	for _, e := range r.entries {
		he := Entry{
			PageRef:         e.pageref,
			StartedDateTime: wallTime(e.wall),
			Time:            max(e.end-e.mono, 0) * 1000,
			Request:         Request{Method: e.request.Method, URL: e.request.URL + e.request.URLFragment, Headers: headers(e.request.Headers)},
			ResourceType:    string(e.kind),
		}
		if e.request.HasPostData {
			var post []byte
			for _, p := range e.request.PostDataEntries {
				post = append(post, p.Bytes...)
			}
			he.Request.PostData = &PostData{MimeType: header(he.Request.Headers, "Content-Type"), Text: string(post)}
		}
		if resp := e.response; resp != nil && !e.failed {
			he.Response = Response{Status: int(resp.Status), Headers: headers(resp.Headers), Content: Content{MimeType: resp.MimeType}}
			if utf8.Valid(e.body) {
				he.Response.Content.Text = string(e.body)
			} else {
				he.Response.Content.Text, he.Response.Content.Encoding = base64.StdEncoding.EncodeToString(e.body), "base64"
			}
			he.Response.RedirectURL = header(he.Response.Headers, "Location")
		}
		h.Log.Entries = append(h.Log.Entries, he)
	}
	return h
}

// headers turns CDP headers (a map) into HAR's list, sorted by name.
func headers(h network.Headers) []NameValue {
	out := make([]NameValue, 0, len(h))
	for k, v := range h {
		out = append(out, NameValue{Name: k, Value: fmt.Sprint(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func wallTime(sec float64) string {
	return time.UnixMicro(int64(sec * 1e6)).UTC().Format("2006-01-02T15:04:05.000Z")
}
