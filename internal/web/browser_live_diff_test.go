package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/internal/stats"
)

// streamCutter serves h and can end every event stream open through it,
// as a proxy or a network hiccup would; it counts the streams and records
// the views posted.
type streamCutter struct {
	h       http.Handler
	mu      sync.Mutex
	cancels []context.CancelFunc
	streams int
	views   []string
}

func (c *streamCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/api/events"):
		ctx, cancel := context.WithCancel(r.Context())
		c.mu.Lock()
		c.cancels = append(c.cancels, cancel)
		c.streams++
		c.mu.Unlock()
		r = r.WithContext(ctx)
	case strings.HasSuffix(r.URL.Path, "/api/view"):
		var b strings.Builder
		rec := &teeBody{ReadCloser: r.Body, b: &b}
		r.Body = rec
		defer func() {
			c.mu.Lock()
			c.views = append(c.views, b.String())
			c.mu.Unlock()
		}()
	}
	c.h.ServeHTTP(w, r)
}

// cut ends every stream open now.
func (c *streamCutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cancel := range c.cancels {
		cancel()
	}
	c.cancels = nil
}

func (c *streamCutter) count() (streams int, views []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams, append([]string(nil), c.views...)
}

// teeBody copies what is read of a request body.
type teeBody struct {
	io.ReadCloser
	b *strings.Builder
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.b.Write(p[:n])
	return n, err
}

// TestBrowserLiveDiff runs the live UI against the real server, whose
// updates after the first carry only the rows that changed: a changed row
// shows its new values, in view or not, sorting follows them, a new row
// appears, the rows in view are posted to the server, a reconnect starts
// again from the whole table, and a run past --max-names shows a banner.
func TestBrowserLiveDiff(t *testing.T) {
	t.Parallel()
	const n = 300
	now := time.Now().Truncate(time.Second)
	f := newFake()
	f.status = Status{State: StateRunning, Users: 10, TargetUsers: 10, SpawnRate: 1, Host: "http://t.test", StartedAt: now.Add(-time.Hour)}
	f.history = nil
	snap := func(mutate func(s *stats.Snapshot)) {
		s := uiManySnapshot(now, n, 0)
		mutate(s)
		f.setSnap(s)
	}
	snap(func(*stats.Snapshot) {})
	s := New(Options{Assets: Assets(), PushEvery: 200 * time.Millisecond}, f)
	cutter := &streamCutter{h: s.Handler()}
	ts := httpTestServerHandler(t, s, cutter)
	page := uiNewPage(t, false, uiPerfSetup)
	page.do(t, "open the UI", chromedp.Navigate(ts.URL+"/"))
	page.wait(t, "the stats rows", rowsSel+`.length > 10`)
	page.wait(t, "300 endpoints", `document.querySelector('.stats-panel .count').textContent.startsWith('300 endpoint')`)
	// Later updates are small: nothing changes.
	page.wait(t, "a few updates", `window.__herdPerf.updates.length >= 4`)
	sizes := uiEval[[]int](t, page, `window.__herdPerf.updates.map(u => u.bytes)`)
	if sizes[0] < 100_000 || sizes[len(sizes)-1] > 5_000 {
		t.Errorf("update sizes %v: want the whole table (300 rows) first, then a few KB", sizes)
	}

	// A row in view changes.
	const firstName = "/api/v1/resource-0000/items"
	cell := func(row, col int) string {
		return fmt.Sprintf(`(document.querySelectorAll('#stats-table tbody tr.row')[%d] || {cells: []}).cells[%d]?.textContent`, row, col)
	}
	snap(func(s *stats.Snapshot) { s.Entries[0].Requests = 999_999 })
	page.wait(t, "the changed row", cell(0, 2)+` === '999,999'`)
	if got := uiEval[string](t, page, cell(0, 1)); got != firstName {
		t.Errorf("first row %q, want %q", got, firstName)
	}

	// Sorted by requests, a row out of view that changes comes to the top.
	page.do(t, "sort by requests", chromedp.Click(chromedp.CSS(`#stats-table th[data-key=num_requests] button`)))
	page.wait(t, "descending", `document.querySelector('#stats-table th[data-key=num_requests]').getAttribute('aria-sort') === 'descending'`)
	page.wait(t, "the biggest first", cell(0, 2)+` === '999,999'`)
	snap(func(s *stats.Snapshot) {
		s.Entries[0].Requests = 999_999
		s.Entries[250].Requests = 2_000_000
	})
	page.wait(t, "the row from out of view on top", cell(0, 2)+` === '2,000,000' && `+cell(1, 2)+` === '999,999'`)
	if got := uiEval[string](t, page, cell(0, 1)); got != "/api/v1/resource-0250/items" {
		t.Errorf("top row %q, want resource-0250", got)
	}

	// A new row, and the overflow warning.
	snap(func(s *stats.Snapshot) {
		s.Entries[0].Requests = 999_999
		s.Entries[250].Requests = 2_000_000
		ov := uiEntry("", stats.OverflowName, 10, 5_000_000, 0, 100, 50, 0, 3600)
		s.Entries = append([]stats.Entry{ov}, s.Entries...)
		s.MaxNames, s.NamesOverflowed = n, true
	})
	page.wait(t, "301 endpoints", `document.querySelector('.stats-panel .count').textContent.startsWith('301 endpoint')`)
	page.wait(t, "the overflow row on top", cell(0, 1)+` === `+fmt.Sprintf("%q", stats.OverflowName))
	page.wait(t, "the banner", `(document.getElementById('names-overflow') || {}).textContent?.includes('--max-names (300)')`)

	// The rows in view reach the server.
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, views := cutter.count()
		if len(views) > 0 && strings.Contains(views[len(views)-1], fmt.Sprintf(`[["",%q],`, stats.OverflowName)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views posted %q: want the rows in view, the overflow row on top", views)
		}
		time.Sleep(10 * time.Millisecond) // polling, bounded by the deadline
	}

	// Cut the stream: the UI reconnects, and the new stream's first update
	// is the whole table, changes made meanwhile included.
	before := uiEval[int](t, page, `window.__herdPerf.updates.length`)
	cutter.cut()
	snap(func(s *stats.Snapshot) {
		s.Entries[0].Requests = 999_999
		s.Entries[250].Requests = 3_000_000
		s.Entries = s.Entries[:n-1] // a row gone: only a whole table shows it
	})
	page.wait(t, "the reconnect", `document.querySelector('.stats-panel .count').textContent.startsWith('299 endpoint')`)
	page.wait(t, "the row changed meanwhile", cell(0, 2)+` === '3,000,000'`)
	streams, _ := cutter.count()
	if streams < 2 {
		t.Errorf("%d event streams opened, want a reconnect", streams)
	}
	after := uiEval[[]int](t, page, fmt.Sprintf(`window.__herdPerf.updates.slice(%d).map(u => u.bytes)`, before))
	if len(after) == 0 || slicesMax(after) < 100_000 {
		t.Errorf("updates after the reconnect %v: want the whole table again", after)
	}
	page.checkClean(t)
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// httpTestServerHandler serves h, which wraps s's handler, and closes both
// at cleanup.
func httpTestServerHandler(t *testing.T, s *Server, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		s.Close(context.Background())
		ts.Close()
	})
	return ts
}
