package herd_test

// An end-to-end test of the web UI: a real herd run (in-process, startUI)
// against the built-in demo shop, driven by headless Chromium exactly as a
// person would: start a test from the form, watch the rows and charts
// update, change the user count, stop, and download the CSV. It skips when
// Chromium is missing, unless HERD_E2E=required. The browser setup follows
// internal/web/browser_test.go.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/browsertest"
)

// e2eShopper shops in the demo shop: it logs in once, then browses the
// home page and the products (single products under one name), fills its
// cart and orders, touching every endpoint of the shop.
type e2eShopper struct{ herd.HTTPUser }

func (u *e2eShopper) OnStart(ctx context.Context) error {
	// The shop fails ~1% of requests on purpose: try a few times, so the
	// cart and order requests have a session.
	var err error
	for range 5 {
		if err = u.Client.Post(ctx, "/api/login", herd.JSON(map[string]string{"username": "e2e", "password": "e2e"})).Err(); err == nil || ctx.Err() != nil {
			break
		}
	}
	return err
}

func (u *e2eShopper) Tasks() []herd.Task {
	item := func() map[string]int {
		return map[string]int{"product_id": 1 + rand.IntN(demo.NumProducts), "quantity": 1}
	}
	return []herd.Task{
		{Name: "home", Weight: 4, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}},
		{Name: "health", Weight: 1, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/health").Err()
		}},
		{Name: "products", Weight: 3, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/api/products").Err()
		}},
		{Name: "product", Weight: 6, Run: func(ctx context.Context) error {
			id := strconv.Itoa(1 + rand.IntN(demo.NumProducts))
			return u.Client.Get(ctx, "/api/products/"+id, herd.Name("/api/products/{id}")).Err()
		}},
		{Name: "cart", Weight: 2, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/api/cart").Err()
		}},
		{Name: "add to cart", Weight: 2, Run: func(ctx context.Context) error {
			return u.Client.Post(ctx, "/api/cart", herd.JSON(item())).Err()
		}},
		{Name: "order", Weight: 1, Run: func(ctx context.Context) error {
			return u.Client.Post(ctx, "/api/orders", herd.JSON(item())).Err()
		}},
	}
}

// e2eEndpoints are the statistics rows ("METHOD name") the shopper's tasks
// make; e2eLogin is only requested when a user starts.
var (
	e2eEndpoints = []string{"GET /", "GET /health", "GET /api/products", "GET /api/products/{id}", "GET /api/cart", "POST /api/cart", "POST /api/orders"}
	e2eLogin     = "POST /api/login"
)

// e2eBrowser is one headless Chromium tab and what it reported.
type e2eBrowser struct {
	ctx      context.Context
	close    func()
	problems browsertest.Problems // uncaught exceptions, console errors, failed loads, dialogs
}

// e2eOpenBrowser starts a headless Chromium with a fresh profile and a
// 1366×768 viewport; its tab is bounded by 60 s.
func e2eOpenBrowser(t *testing.T) *e2eBrowser {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(t, browsertest.Chromium(t))...)
	b := &e2eBrowser{}
	// The download tab probes the optional full-history CSV (404 without
	// --csv-full-history); that one is expected.
	b.problems.Expected = []string{"requests_full_history"}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		b.problems.Observe(ev)
		if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.problems.Add("dialog: " + ev.Message)
		}
	}))
	var once sync.Once
	b.close = func() {
		once.Do(func() {
			cancelBrowser()
			cancelAlloc()
		})
	}
	t.Cleanup(b.close)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancel)
	b.ctx = ctx
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("log.enable: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	return b
}

func (b *e2eBrowser) report() string {
	return fmt.Sprintf("page problems: %q", b.problems.List())
}

func (b *e2eBrowser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b.report())
	}
}

// wait polls a JavaScript expression in the page until it is truthy.
func (b *e2eBrowser) wait(t *testing.T, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s (%s): %v\n%s", what, expr, err, b.report())
	}
}

// e2eEval evaluates a JavaScript expression (awaiting a promise) and
// decodes its value.
func e2eEval[T any](t *testing.T, b *e2eBrowser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v\n%s", expr, err, b.report())
	}
	return v
}

// e2eRowsJS evaluates to {"METHOD name": request count} over the
// statistics table's rows and its total row (key "Aggregated").
const e2eRowsJS = `(() => {
  const num = s => Number(s.replace(/[^0-9]/g, '') || 'NaN');
  const out = {};
  for (const tr of document.querySelectorAll('#stats-table tbody tr.row, #stats-table tfoot tr.total')) {
    const td = tr.querySelectorAll('td');
    if (td.length > 2) out[(td[0].textContent + ' ' + td[1].textContent).trim()] = num(td[2].textContent);
  }
  return out;
})()`

// e2eChartHasLine is a JavaScript predicate: the first chart's canvas
// (requests per second) has at least n pixels of its Requests/s stroke
// colour, which uPlot only draws as a line between two or more points.
const e2eChartHasLine = `((n) => {
  const c = document.querySelector('#charts canvas');
  if (!c || c.width === 0 || c.height === 0) return false;
  const m = /#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(getComputedStyle(document.documentElement).getPropertyValue('--c-rps'));
  if (!m) return false;
  const [r, g, b] = [1, 2, 3].map(i => parseInt(m[i], 16));
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let hits = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 200 && Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40) hits++;
  }
  return hits >= n;
})`

var e2eNumber = regexp.MustCompile(`^[0-9][0-9,]*(\.[0-9]+)?$`)

// TestBrowserEndToEnd is the web UI's acceptance test: start a test from
// the form against the demo target, watch rows and charts update, change
// the user count, stop, and download a CSV. With HERD_UI_SCREENSHOTS=1 it
// also rewrites docs/screenshot.png (the README's) from the live run; with
// HERD_UI_SCREENSHOTS set to a directory it writes e2e-stats.png there.
func TestBrowserEndToEnd(t *testing.T) {
	t.Parallel()
	b := e2eOpenBrowser(t) // skips without Chromium, before starting herd
	test := &herd.Test{
		Users: []*herd.UserType{{
			Name: "Shopper",
			New:  func() herd.User { return new(e2eShopper) },
			Wait: herd.Constant(50 * time.Millisecond),
		}},
		FallbackHost: demo.FallbackHost,
	}
	base, stop, stderr := startUI(t, test)

	type apiState struct {
		State       string `json:"state"`
		UserCount   int    `json:"user_count"`
		TargetUsers int    `json:"target_users"`
		Host        string `json:"host"`
	}
	var st apiState
	getJSON(t, base+"api/state", &st)
	if st.State != "ready" {
		t.Fatalf("state before the start: %+v", st)
	}

	// The start form opens by itself with the server's host. Before the first
	// test that is "" with DemoTarget (the demo shop starts with the first
	// test), and an empty host runs against the demo shop: the form's
	// default is kept.
	b.do(t, "open the UI", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#start-form")))
	if got := e2eEval[string](t, b, `document.querySelector('#start-form input[name=host]').value`); got != st.Host {
		t.Errorf("the form's host is %q, /api/state's %q", got, st.Host)
	}
	b.do(t, "fill in and submit the start form",
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=user_count]`), "5"),
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=spawn_rate]`), "50"),
		chromedp.Click(chromedp.CSS(`#start-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#start-form")),
	)
	poll(t, "5 running users in /api/state", func() bool {
		getJSON(t, base+"api/state", &st)
		return st.State == "running" && st.UserCount == 5
	})
	if !strings.HasPrefix(st.Host, "http://127.0.0.1:") {
		t.Errorf("the test runs against %q, not the demo shop on loopback", st.Host)
	}
	b.wait(t, "the running state and 5 users", `document.getElementById('state-badge').textContent === 'running' && document.getElementById('users-now').textContent === '5'`)
	b.wait(t, "the demo shop's host in the status bar", fmt.Sprintf(`document.querySelector('.metric.host .metric-value').textContent === %q`, st.Host))

	// Rows for every endpoint and the total, with growing counts.
	growing := append(slices.Clone(e2eEndpoints), "Aggregated")
	allRows := fmt.Sprintf(`(r => %s.every(n => r[n] > 0))(%s)`, e2eJSON(t, append(slices.Clone(growing), e2eLogin)), e2eRowsJS)
	b.wait(t, "rows with requests for the demo endpoints and the total", allRows)
	first := e2eEval[map[string]float64](t, b, e2eRowsJS)
	grown := fmt.Sprintf(`(r => %s.every(n => r[n] > %s[n]))(%s)`, e2eJSON(t, growing), e2eJSON(t, first), e2eRowsJS)
	b.wait(t, "the rows' counts to grow", grown)
	rows := e2eEval[map[string]float64](t, b, e2eRowsJS)
	for n := range rows {
		if !slices.Contains(growing, n) && n != e2eLogin {
			t.Errorf("unexpected row %q", n)
		}
	}
	b.wait(t, "a positive RPS in the status bar", `parseFloat(document.getElementById('total-rps').textContent.replace(/,/g, '')) > 0`)
	e2eScreenshot(t, b)

	// Charts: three canvases with a size, drawn from more than one point.
	b.do(t, "open the charts", chromedp.Click(chromedp.CSS("#tab-charts")))
	b.wait(t, "three chart canvases", `document.querySelectorAll('#charts canvas').length === 3 && [...document.querySelectorAll('#charts canvas')].every(c => c.width > 300 && c.height > 80)`)
	b.wait(t, "a Requests/s legend value > 0", `[...document.querySelectorAll('#charts .u-legend .u-series')].some(s =>
	  (s.querySelector('.u-label') || {}).textContent === 'Requests/s' && parseFloat((s.querySelector('.u-value') || {}).textContent?.replace(/,/g, '')) > 0)`)
	b.wait(t, "the users chart's legend at 5", `[...document.querySelectorAll('#charts .u-legend .u-series')].some(s =>
	  (s.querySelector('.u-label') || {}).textContent === 'Users' && (s.querySelector('.u-value') || {}).textContent === '5')`)
	b.wait(t, "a requests line in the chart", e2eChartHasLine+`(30)`)
	if n := e2eEval[int](t, b, `fetch('api/history').then(r => r.json()).then(d => d.points.length)`); n < 2 {
		t.Errorf("api/history has %d points while the chart shows a line", n)
	}
	if e2eEval[bool](t, b, `document.getElementById('charts').textContent.includes('No data yet')`) {
		t.Error("the charts still say there is no data")
	}

	// Edit: 2 users.
	b.do(t, "edit the test",
		chromedp.Click(chromedp.CSS("#edit-test")),
		chromedp.WaitVisible(chromedp.CSS("#edit-form")),
		chromedp.SetValue(chromedp.CSS(`#edit-form input[name=user_count]`), "2"),
		chromedp.Click(chromedp.CSS(`#edit-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#edit-form")),
	)
	poll(t, "2 running users in /api/state", func() bool {
		getJSON(t, base+"api/state", &st)
		return st.State == "running" && st.UserCount == 2 && st.TargetUsers == 2
	})
	b.wait(t, "2 users in the status bar", `document.getElementById('users-now').textContent === '2' && !document.querySelector('.metric .sub')`)

	// Stop.
	b.do(t, "stop", chromedp.Click(chromedp.CSS("#stop-test")))
	b.wait(t, "the stopped state", `document.getElementById('state-badge').textContent === 'stopped' && !!document.getElementById('new-test') && !document.getElementById('stop-test')`)
	getJSON(t, base+"api/state", &st)
	if st.State != "stopped" || st.UserCount != 0 {
		t.Errorf("/api/state after the stop: %+v", st)
	}

	// Download the request statistics CSV through the page's link.
	b.do(t, "open the downloads", chromedp.Click(chromedp.CSS("#tab-download")))
	b.wait(t, "the statistics CSV link", `!!document.querySelector('#downloads a[href="stats/requests/csv"]')`)
	type download struct {
		Status      int    `json:"status"`
		Disposition string `json:"disposition"`
		Type        string `json:"type"`
		Body        string `json:"body"`
	}
	dl := e2eEval[download](t, b, `(async () => {
	  const a = document.querySelector('#downloads a[href="stats/requests/csv"]');
	  const r = await fetch(a.href, {cache: 'no-store'});
	  return {status: r.status, disposition: r.headers.get('Content-Disposition') || '', type: r.headers.get('Content-Type') || '', body: await r.text()};
	})()`)
	if dl.Status != 200 || !regexp.MustCompile(`^attachment; filename="?requests_\d+\.csv"?$`).MatchString(dl.Disposition) || !strings.HasPrefix(dl.Type, "text/csv") {
		t.Errorf("the CSV download: %d, %q, %q", dl.Status, dl.Disposition, dl.Type)
	}
	const header = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time," +
		"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
	if line, _, _ := strings.Cut(dl.Body, "\n"); strings.TrimSuffix(line, "\r") != header {
		t.Errorf("CSV header:\n got %q\nwant %q", line, header)
	}
	records, err := csv.NewReader(strings.NewReader(dl.Body)).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("the CSV does not parse (%v):\n%s", err, dl.Body)
	}
	got := map[string]int{}
	for _, rec := range records[1:] {
		n, err := strconv.Atoi(rec[2])
		if err != nil || len(rec) != len(records[0]) {
			t.Errorf("CSV row %q", rec)
			continue
		}
		got[strings.TrimSpace(rec[0]+" "+rec[1])] = n
	}
	for _, name := range append(slices.Clone(growing), e2eLogin) {
		if n := got[name]; n < int(rows[name]) || n == 0 {
			t.Errorf("CSV row %q has %d requests, the table showed %v earlier\n%s", name, n, rows[name], dl.Body)
		}
	}
	if len(got) != len(growing)+1 {
		t.Errorf("CSV rows %v, want the demo endpoints and the total", got)
	}

	problems := b.problems.List()
	if len(problems) > 0 {
		t.Errorf("the page reported problems: %q", problems)
	}

	// Quit herd: the demo shop fails ~1% of requests on purpose, so the
	// exit code is 0 or 1 (ExitFailures).
	b.close()
	if code := stop(); code != herd.ExitOK && code != herd.ExitFailures {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
}

// e2eScreenshot writes the statistics tab of the live run once the numbers
// have grown a little, when HERD_UI_SCREENSHOTS asks for it.
func e2eScreenshot(t *testing.T, b *e2eBrowser) {
	t.Helper()
	dest := os.Getenv("HERD_UI_SCREENSHOTS")
	switch dest {
	case "":
		return
	case "1":
		dest = filepath.Join("docs", "screenshot.png")
	default:
		dest = filepath.Join(dest, "e2e-stats.png")
	}
	b.wait(t, "a few hundred requests", `(r => r.Aggregated >= 800)(`+e2eRowsJS+`)`)
	// Two frames, so the last update is painted.
	b.wait(t, "two frames", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	for _, sel := range []string{"#total-rps", "#users-now"} {
		if v := e2eEval[string](t, b, fmt.Sprintf(`document.querySelector(%q).textContent`, sel)); !e2eNumber.MatchString(v) {
			t.Errorf("%s shows %q in the screenshot", sel, v)
		}
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(dest, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", dest)
}

func e2eJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
