package web

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/internal/stats"
)

// longText is n ASCII characters with no space or hyphen to break a line
// at (the worst case for line breaking), ending in a marker that shows
// whether the whole text arrived.
func longText(prefix string, n int) string {
	const end = "<END>"
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < n-len(end) {
		b.WriteString("abcdefghijklmnopqrstuvwxyz")
	}
	return b.String()[:n-len(end)] + end
}

// Clipping limits of web/ui/src/longtext.jsx and panels.jsx.
const (
	uiClip      = 300  // CLIP: characters of a text shown in a cell
	uiTitleMax  = 1000 // TITLE_MAX: characters of a tooltip
	uiErrorClip = 1000 // ERROR_CLIP: characters of an error card's message
)

// uiTime is the time in the page from running action (a JavaScript
// statement) to the frame after it, layout and paint included.
func uiTime(t *testing.T, p *uiPage, action string) float64 {
	t.Helper()
	return uiEval[float64](t, p, fmt.Sprintf(`(async () => {
	  const t0 = performance.now();
	  %s;
	  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
	  return performance.now() - t0; })()`, action))
}

const uiLongTaskSetup = `window.__longTasks = [];
try {
  new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longTasks.push(Math.round(e.duration)); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}`

// uiClipped is what a clipped text's cell holds.
type uiClipped struct {
	Cells  int    `json:"cells"`  // elements matching the selector with a "more" button
	Shown  int    `json:"shown"`  // characters shown in place
	Title  int    `json:"title"`  // characters of the tooltip (0: none)
	Layout string `json:"layout"` // the table's table-layout ("" outside a table)
	Start  string `json:"start"`  // the first characters shown
}

// uiClippedIn describes the elements under sel that hold a "more" button.
func uiClippedIn(t *testing.T, p *uiPage, sel string) uiClipped {
	t.Helper()
	return uiEval[uiClipped](t, p, fmt.Sprintf(`(() => {
	  const els = [...document.querySelectorAll(%q)].filter(e => e.querySelector('button.more'));
	  if (!els.length) return {cells: 0, shown: 0, title: 0, layout: '', start: ''};
	  const e = els[0], shown = e.querySelector('.long-text').textContent, tbl = e.closest('table');
	  const title = e.closest('[title]:not(button)');
	  return {cells: els.length, shown: shown.length, title: title ? title.title.length : 0,
	    layout: tbl ? getComputedStyle(tbl).tableLayout : '', start: shown.slice(0, 20)};
	})()`, sel))
}

// uiOpenWhole clicks the first "more" button under sel and returns the
// time to the next frame and whether the viewer shows want whole; it
// closes the viewer with Escape.
func uiOpenWhole(t *testing.T, p *uiPage, sel, want string) float64 {
	t.Helper()
	ms := uiTime(t, p, fmt.Sprintf(`[...document.querySelectorAll(%q)].find(e => e.querySelector('button.more')).querySelector('button.more').click()`, sel))
	p.wait(t, "the viewer", `(d => d && d.open)(document.getElementById('full-text'))`)
	if !uiEval[bool](t, p, fmt.Sprintf(`document.querySelector('#full-text pre').textContent === %q`, want)) {
		got := uiEval[string](t, p, `(s => s.length + ' characters: ' + s.slice(0, 40) + '…' + s.slice(-20))(document.querySelector('#full-text pre').textContent)`)
		t.Errorf("%s: the viewer shows %s, want the %d characters whole", sel, got, len(want))
	}
	// The text scrolls inside the viewer, which fits the window.
	if fits := uiEval[bool](t, p, `(p => p.scrollHeight > p.clientHeight && document.getElementById('full-text').getBoundingClientRect().bottom <= innerHeight)(document.querySelector('#full-text pre'))`); !fits {
		t.Errorf("%s: the viewer does not scroll its text inside the window", sel)
	}
	p.do(t, "close the viewer", chromedp.KeyEvent("\x1b"))
	p.wait(t, "the viewer closed", `!document.getElementById('full-text')`)
	return ms
}

func checkClipped(t *testing.T, what string, got uiClipped, start string, shown, title int, table bool) {
	t.Helper()
	if got.Cells != 1 {
		t.Errorf("%s: %d clipped cells, want 1", what, got.Cells)
		return
	}
	if got.Shown != shown+1 || !strings.HasPrefix(start, strings.TrimSuffix(got.Start, "…")) {
		t.Errorf("%s: %d characters shown (%q…), want the first %d and …", what, got.Shown, got.Start, shown)
	}
	if got.Title != title {
		t.Errorf("%s: a tooltip of %d characters, want %d", what, got.Title, title)
	}
	if table && got.Layout != "fixed" {
		t.Errorf("%s: table-layout %q, want fixed", what, got.Layout)
	}
}

// TestBrowserLongTexts: a 100,000-character endpoint name (also the name
// of a failure), a 100,050-character user error and a 5,000-character
// class name are shown clipped in cells of fixed-layout tables, with their
// tooltip clipped too, and the whole text is one click away in a viewer
// that scrolls. The page measures how long the tabs and the viewer take
// to render (performance.now) and the test logs it; its verdicts are
// structural, never a time.
func TestBrowserLongTexts(t *testing.T) {
	t.Parallel()
	name := longText("/api/", 100_000)
	msg := longText("user error: ", 100_050)
	class := longText("VeryLongUserClass", 5_000)
	f := uiShopAPI(120, time.Second)
	failMsg := strings.Repeat("HTTP 503 ", 34)[:300] // failure messages are capped at 300
	long := func(f *uiFakeAPI) {
		f.snap.Entries[0].Name = name
		f.snap.Failures[0].Name = name
		f.snap.Failures[0].Error = failMsg
		f.snap.Errors[0].Message = msg
	}
	long(f)
	tick := f.tick
	f.tick = func(f *uiFakeAPI, now time.Time) { tick(f, now); long(f) }
	f.status.UserClasses[0].Name = class
	f.tasks.PerClass[class] = f.tasks.PerClass["Shopper"]

	page := uiNewPage(t, false, uiLongTaskSetup)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	loaded := uiEval[float64](t, page, `performance.now()`)

	checkClipped(t, "statistics name", uiClippedIn(t, page, "#stats-table td.name"), name, uiClip, uiTitleMax+1, true)
	viewStats := uiOpenWhole(t, page, "#stats-table td.name", name)

	failMs := uiTime(t, page, `document.getElementById('tab-failures').click()`)
	page.wait(t, "the failures", `document.querySelectorAll('#failures tbody tr').length === 5`)
	checkClipped(t, "failure name", uiClippedIn(t, page, "#failures td.name"), name, uiClip, 0, true)
	if got := uiEval[string](t, page, `document.querySelector('#failures td.msg').textContent`); got != failMsg {
		t.Errorf("a 300-character failure message is not shown whole: %q", got)
	}
	// Live updates keep coming while the failures show.
	first := uiEval[string](t, page, `document.getElementById('total-rps').textContent`)
	page.wait(t, "a live update", fmt.Sprintf(`document.getElementById('total-rps').textContent !== %q`, first))
	viewFailure := uiOpenWhole(t, page, "#failures td.name", name)

	errMs := uiTime(t, page, `document.getElementById('tab-errors').click()`)
	page.wait(t, "the errors", `document.querySelectorAll('#errors .error-card').length === 2`)
	checkClipped(t, "error message", uiClippedIn(t, page, "#errors .error-msg"), msg, uiErrorClip, 0, false)
	viewError := uiOpenWhole(t, page, "#errors .error-msg", msg)

	tasksMs := uiTime(t, page, `document.getElementById('tab-tasks').click()`)
	page.wait(t, "the tasks", `document.querySelectorAll('#tasks .ratio-row').length > 3`)
	checkClipped(t, "class name (tasks)", uiClippedIn(t, page, "#tasks .ratio-name"), class, uiClip, uiTitleMax+1, false)
	uiOpenWhole(t, page, "#tasks .ratio-name", class)

	statsMs := uiTime(t, page, `document.getElementById('tab-stats').click()`)
	page.wait(t, "the stats rows", rowsSel+`.length > 0`)
	// The class picker of the start form, once the test stopped.
	f.mu.Lock()
	f.status.State = StateStopped
	f.mu.Unlock()
	page.wait(t, "the stopped state", `!!document.getElementById('new-test')`)
	page.do(t, "open the start form", chromedp.Click(chromedp.CSS("#new-test")), chromedp.WaitVisible(chromedp.CSS("#start-form")))
	checkClipped(t, "class name (start form)", uiClippedIn(t, page, "#start-form .class-name"), class, uiClip, uiTitleMax+1, false)
	checked := `document.querySelector('#start-form input[name=user_classes]').checked`
	before := uiEval[bool](t, page, checked)
	uiOpenWhole(t, page, "#start-form .class-name", class)
	if after := uiEval[bool](t, page, checked); after != before {
		t.Error("opening the class name's viewer toggled its checkbox")
	}
	if n := uiEval[int](t, page, `document.querySelectorAll('#start-form').length`); n != 1 {
		t.Error("closing the viewer with Escape closed the start form too")
	}

	longTasks := uiEval[[]float64](t, page, `window.__longTasks`)
	t.Logf("measured in the page (click to the next frame): failures tab %.1f ms, errors tab %.1f ms, tasks tab %.1f ms, statistics tab %.1f ms; "+
		"the viewer on the 100,000-character name %.1f ms (statistics), %.1f ms (failures), on the 100,050-character error %.1f ms; "+
		"first render %.0f ms after navigation start; long tasks (>50 ms) in the whole session: %v ms",
		failMs, errMs, tasksMs, statsMs, viewStats, viewFailure, viewError, loaded, longTasks)
	page.checkClean(t)
}

// TestBrowserReportLongTexts: the HTML report with the same long texts
// clips them in the same way, and its viewer works offline too.
func TestBrowserReportLongTexts(t *testing.T) {
	t.Parallel()
	name := longText("/api/", 100_000)
	msg := longText("user error: ", 100_050)
	class := longText("VeryLongUserClass", 5_000)
	f := uiShopAPI(600, time.Second)
	f.snap.Entries[0].Name = name
	f.snap.Failures[0].Name = name
	f.snap.Errors[0].Message = msg
	r := Report{Title: "long texts", Host: f.status.Host, Users: 10, SpawnRate: 1, UserClasses: []string{class, "Shopper"},
		Start: f.status.StartedAt, End: f.snap.Time, Stats: f.snap, History: f.history}
	file := filepath.Join(t.TempDir(), "report.html")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLReport(out, r); err != nil {
		t.Fatal(err)
	}
	out.Close()
	page := uiNewPage(t, false, uiLongTaskSetup)
	page.do(t, "open the report", chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String()))
	page.wait(t, "the report", `document.querySelectorAll('#failures-section tbody tr').length === 5`)
	firstFrame := uiEval[float64](t, page, `new Promise(r => requestAnimationFrame(() => setTimeout(() => r(performance.now()), 0)))`)

	checkClipped(t, "statistics name", uiClippedIn(t, page, "#stats-table td.name"), name, uiClip, uiTitleMax+1, true)
	checkClipped(t, "percentiles name", uiClippedIn(t, page, "#percentiles-table td.name"), name, uiClip, uiTitleMax+1, true)
	checkClipped(t, "failure name", uiClippedIn(t, page, "#failures-section td.name"), name, uiClip, 0, true)
	checkClipped(t, "error message", uiClippedIn(t, page, "#errors-section .error-msg"), msg, uiErrorClip, 0, false)
	checkClipped(t, "user classes", uiClippedIn(t, page, ".params dd"), class, uiClip, 0, false)
	view := uiOpenWhole(t, page, "#failures-section td.name", name)
	uiOpenWhole(t, page, ".params dd", class+", Shopper")

	longTasks := uiEval[[]float64](t, page, `window.__longTasks`)
	t.Logf("measured in the page: the report's first frame %.0f ms after navigation start, the viewer on the 100,000-character name %.1f ms; long tasks (>50 ms): %v ms",
		firstFrame, view, longTasks)
	page.checkClean(t)
}

// TestBrowserLongFailureUpdate: live updates that bring a 100,000-character
// failure name to the open Failures tab of the real server's UI. The name
// is clipped in a fixed-layout table, so the DOM never holds it whole. The
// page measures each such update from its arrival (before JSON.parse) to
// the frame after the render (window.__herdPerf, live.jsx), and the test
// logs the figures: the target is under 200 ms, but a time is no
// verdict on a loaded 2-core machine, so the test asserts structure only.
// (TestBrowserLongTexts opens the viewer on such a name.)
func TestBrowserLongFailureUpdate(t *testing.T) {
	t.Parallel()
	const updates = 5
	name := longText("/api/", 100_000)
	f := newFake()
	f.status = Status{State: StateRunning, Users: 10, TargetUsers: 10, SpawnRate: 1, Host: "http://t.test", StartedAt: time.Now().Add(-time.Minute)}
	f.history = nil
	withLong := func(occurrences uint64) {
		s := *sampleSnapshot()
		s.Failures = append(slices.Clone(s.Failures), stats.Failure{Method: "GET", Name: name, Error: "HTTP 503", Occurrences: occurrences})
		f.setSnap(&s)
	}
	s := New(Options{Assets: Assets(), PushEvery: 200 * time.Millisecond}, f)
	ts := httpTestServerHandler(t, s, s.Handler())
	page := uiNewPage(t, false, uiPerfSetup)
	page.do(t, "open the UI", chromedp.Navigate(ts.URL+"/#failures"))
	page.wait(t, "the failures", `document.querySelectorAll('#failures tbody tr').length === 2`)

	longUpdates := `window.__herdPerf.updates.filter(u => u.bytes > 100000 && u.tab === 'failures')`
	for i := range updates {
		withLong(uint64(1000 + i)) // a new count: the failure is sent again
		page.wait(t, fmt.Sprintf("update %d with the long name", i+1), fmt.Sprintf(`%s.length >= %d`, longUpdates, i+1))
	}
	page.wait(t, "the long failure", `document.querySelectorAll('#failures tbody tr').length === 3`)
	checkClipped(t, "failure name", uiClippedIn(t, page, "#failures td.name"), name, uiClip, 0, true)
	if n := uiEval[int](t, page, `document.getElementById('failures').textContent.length`); n > 5_000 {
		t.Errorf("the failures table holds %d characters of text: the long name is in the DOM whole", n)
	}

	perf := uiEval[uiPerf](t, page, `window.__herdPerf`)
	var frames, commits, parses []float64
	for _, u := range perf.Updates {
		if u.Bytes > 100_000 && u.Tab == "failures" {
			frames, commits, parses = append(frames, u.Frame), append(commits, u.Commit), append(parses, u.Parse)
		}
	}
	fp50, _, fmax := uiStatsOf(frames)
	cp50, _, cmax := uiStatsOf(commits)
	pp50, _, _ := uiStatsOf(parses)
	t.Logf("measured in the page, %d updates carrying a 100,000-character failure name to the open Failures tab: "+
		"arrival to the next frame median %.1f ms (max %.1f), of which JSON.parse %.1f ms and render (commit) median %.1f ms (max %.1f); all: %v ms",
		len(frames), fp50, fmax, pp50, cp50, cmax, frames)
	page.checkClean(t)
}
