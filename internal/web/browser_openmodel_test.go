package web

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// withIntended turns the shop's data into an open-model run's: every entry
// and history row also timed from the intended start (2.5 times the
// service time: iterations started late), and iterations, some dropped.
func withIntended(snap *stats.Snapshot, hist []stats.HistoryRow) {
	scale := func(ps []time.Duration) []time.Duration {
		if ps == nil {
			return nil
		}
		out := make([]time.Duration, len(ps))
		for i, p := range ps {
			out[i] = p * 5 / 2
		}
		return out
	}
	timing := func(e *stats.Entry) {
		if e.Requests == 0 {
			return
		}
		e.Intended = &stats.Timing{Min: e.Min, Max: e.Max * 5 / 2, Mean: e.Mean * 2, Median: e.Median * 3 / 2, Percentiles: scale(e.Percentiles)}
	}
	for i := range snap.Entries {
		timing(&snap.Entries[i])
	}
	timing(&snap.Total)
	snap.Iterations, snap.Dropped = 12_000, 300
	for i := range hist {
		hist[i].CurrentIntended = scale(hist[i].CurrentPercentiles)
	}
}

// openModelThresholds are sampleThresholds with the failing one first
// failing 65 s after start.
func openModelThresholds(t *testing.T, start time.Time) []threshold.Result {
	rs := sampleThresholds(t)
	rs[1].FirstFailed = start.Add(65 * time.Second)
	return rs
}

// TestBrowserOpenModelAndThresholds serves the real server over a fake
// controller in the open model with thresholds: the start form names the
// pool and shows the arrival rate, the status bar shows the failing
// verdict, the Thresholds tab lists every result (markup in an expression
// as text), the statistics have the intended-start columns and the
// iterations with the dropped warning, the response-time chart has the
// intended-start line, and the HTML report has all of it. Then a load
// shape hides the user count and spawn rate.
func TestBrowserOpenModelAndThresholds(t *testing.T) {
	t.Parallel()
	shop := uiShopAPI(300, time.Second)
	withIntended(shop.snap, shop.history)
	fake := newFake()
	fake.status = shop.status
	fake.status.State, fake.status.StoppedAt = StateStopped, shop.snap.Time
	fake.status.ArrivalRate, fake.status.MaxUsers = "200/s", 400
	fake.snap, fake.history = shop.snap, shop.history
	fake.thresholds = openModelThresholds(t, shop.status.StartedAt)
	// Updates every 200 ms: the live steps below wait for the next one.
	s := New(Options{BasePath: "/herd", Assets: Assets(), PushEvery: 200 * time.Millisecond, Report: func(w io.Writer, c Controller) error {
		return WriteHTMLReport(w, ReportFromController(c))
	}}, fake)
	ts := httpTestServer(t, s)
	u := ts.URL + "/herd/"

	page := uiNewPage(t, false)
	// With HERD_UI_SCREENSHOTS set, screenshots of each step go there.
	shot := func(name string) {
		t.Helper()
		dir := os.Getenv("HERD_UI_SCREENSHOTS")
		if dir == "" {
			return
		}
		page.wait(t, "two frames", `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
		b, err := chromedp.Run(page.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "open-model-"+name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page.do(t, "open the UI", chromedp.Navigate(u))

	// Stopped: the start form opens, in the open model.
	page.do(t, "the start form", chromedp.WaitVisible(chromedp.CSS("#start-form")))
	if got := uiEval[string](t, page, `document.querySelector('#start-form input[name=user_count]').closest('label').querySelector('span').textContent`); got != "Pool of users" {
		t.Errorf("users field label %q, want Pool of users", got)
	}
	if got := uiEval[[]any](t, page, `(e => [e.value, e.readOnly])(document.getElementById('arrival-rate'))`); fmt.Sprint(got) != "[200/s true]" {
		t.Errorf("arrival rate field (value, read-only) = %v, want [200/s true]", got)
	}
	shot("start")
	page.do(t, "close the form", chromedp.Click(chromedp.CSS(`#start-form button[type=button]`)), chromedp.WaitNotPresent(chromedp.CSS("#start-form")))

	// The status bar: the pool, and the thresholds' verdict.
	page.wait(t, "the thresholds badge", `(document.getElementById('thresholds-badge') || {}).dataset?.verdict === 'fail'`)
	if got := uiEval[string](t, page, `document.getElementById('thresholds-badge').closest('.metric').title`); got != "1 of 3 pass · 1 fails · 1 pending" {
		t.Errorf("thresholds metric title %q", got)
	}
	if got := uiEval[string](t, page, `document.getElementById('users-now').closest('.metric').querySelector('.metric-label').textContent`); got != "Pool" {
		t.Errorf("users metric label %q, want Pool in the open model", got)
	}

	// Statistics: the intended-start columns and the iterations.
	page.wait(t, "the stats rows", fmt.Sprintf(`%s.length === %d`, rowsSel, len(uiShop)))
	type head struct {
		Label string `json:"label"`
		Title string `json:"title"`
		Class string `json:"cls"`
	}
	heads := uiEval[[]head](t, page, `['p99', 'ip95', 'ip99'].map(k => document.querySelector('#stats-table th[data-key=' + k + ']')).map(th => th ? {label: th.textContent, title: th.querySelector('button').title, cls: th.className} : {})`)
	if heads[1].Label != "95%ile intended (ms)" || heads[2].Label != "99%ile intended (ms)" {
		t.Errorf("intended columns %q, %q", heads[1].Label, heads[2].Label)
	}
	if !strings.Contains(heads[2].Title, "coordinated omission") || !strings.Contains(heads[2].Class, "intended") {
		t.Errorf("intended column tooltip %q, class %q: want the coordinated-omission explanation", heads[2].Title, heads[2].Class)
	}
	if !strings.Contains(heads[0].Title, "service time") {
		t.Errorf("service-time column tooltip %q does not say so", heads[0].Title)
	}
	// The columns sit right after the service-time 99th percentile.
	keys := uiEval[[]string](t, page, `[...document.querySelectorAll('#stats-table th')].map(th => th.dataset.key)`)
	if got := strings.Join(keys, ","); !strings.Contains(got, "p90,p99,ip95,ip99,avg") {
		t.Errorf("columns %s", got)
	}
	// Whole milliseconds, as displayed (±1 for rounding).
	wantP99 := fmt.Sprint(math.Round(float64(shop.snap.Total.Intended.Percentiles[7]) / float64(time.Millisecond)))
	page.wait(t, "the total's intended 99th percentile", fmt.Sprintf(`(i => Math.abs(document.querySelector('#stats-table tfoot tr').cells[i].textContent.replaceAll(',', '') - %s) <= 1)([...document.querySelectorAll('#stats-table th')].findIndex(th => th.dataset.key === 'ip99'))`, wantP99))
	it := uiEval[[]string](t, page, `(e => [e.textContent, e.className])(document.getElementById('iterations'))`)
	if !strings.HasPrefix(it[0], "Iterations 12,000 · dropped 300 (2.4%)") || !strings.Contains(it[0], "raise --max-users (now 400)") || !strings.Contains(it[1], "warn") {
		t.Errorf("iterations %q (class %q): want the counts, the share dropped, the hint, and the warning style", it[0], it[1])
	}
	shot("stats")
	page.do(t, "the intended percentiles", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.segmented button')].find(b => b.textContent.includes('intended')).click()`))
	page.wait(t, "the intended percentile table", `document.querySelectorAll('#stats-table th[data-key="ip99.9"]').length === 1 && !!document.getElementById('intended-help')`)

	// Thresholds: one row each, the failing one marked, markup as text.
	if got := uiEval[string](t, page, `document.querySelector('#tab-thresholds .tab-count').className`); !strings.Contains(got, "bad") {
		t.Errorf("thresholds tab count class %q: a failing threshold should mark it", got)
	}
	page.do(t, "open the thresholds", chromedp.Click(chromedp.CSS("#thresholds-badge")))
	page.wait(t, "three threshold rows", `document.querySelectorAll('#thresholds tbody tr.row').length === 3`)
	type thrRow struct {
		Status string   `json:"status"`
		Cells  []string `json:"cells"`
	}
	rows := uiEval[[]thrRow](t, page, `[...document.querySelectorAll('#thresholds tbody tr.row')].map(tr => ({status: tr.dataset.status, cells: [...tr.cells].map(td => td.textContent)}))`)
	want := []thrRow{
		{"pass", []string{"pass", "p95<300ms", "212.5ms", "p95 212.5ms, want <300ms", ""}},
		{"fail", []string{"fail", xssThreshold + ";abort aborting the run", "1.25s", "p99 1.25s, want <1s", "(+1m 05s)"}},
		{"pending", []string{"pending", "GET /cart: fail_ratio[30s]<1%", "no data", "no requests for GET /cart in the last 30s", ""}},
	}
	for i, r := range rows {
		w := want[i]
		if r.Status != w.Status || len(r.Cells) != 5 {
			t.Errorf("threshold row %d = %+v, want %+v", i, r, w)
			continue
		}
		for j := range 4 {
			if r.Cells[j] != w.Cells[j] {
				t.Errorf("threshold row %d cell %d = %q, want %q", i, j, r.Cells[j], w.Cells[j])
			}
		}
		if !strings.HasSuffix(r.Cells[4], w.Cells[4]) {
			t.Errorf("threshold row %d first failed %q, want it to end in %q", i, r.Cells[4], w.Cells[4])
		}
	}
	shot("thresholds")
	if got := uiEval[string](t, page, `document.getElementById('thresholds-verdict').textContent`); got != "failed" {
		t.Errorf("verdict %q, want failed", got)
	}

	// Charts: the picked percentile from the intended start.
	page.do(t, "open the charts", chromedp.Click(chromedp.CSS("#tab-charts")))
	page.wait(t, "the intended-start series", `[...document.querySelectorAll('#charts .u-legend .u-label')].some(e => e.textContent === '99%ile from intended start')`)

	shot("charts")

	// Live: every threshold passes.
	fake.mu.Lock()
	for i := range fake.thresholds {
		fake.thresholds[i].Status, fake.thresholds[i].NoData = threshold.Pass, false
	}
	fake.mu.Unlock()
	page.wait(t, "the passing verdict", `document.getElementById('thresholds-badge').dataset.verdict === 'pass'`)

	// The HTML report of the same test.
	fake.mu.Lock()
	fake.thresholds = openModelThresholds(t, shop.status.StartedAt)
	fake.mu.Unlock()
	file := filepath.Join(t.TempDir(), "report.html")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLReport(out, ReportFromController(fake)); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	page.do(t, "open the report", chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String()))
	page.wait(t, "the report's thresholds", `document.querySelectorAll('#thresholds-section tbody tr.row').length === 3`)
	page.wait(t, "the report's intended table", fmt.Sprintf(`document.querySelectorAll('#intended-table tbody tr.row').length === %d`, len(uiShop)))
	if got := uiEval[string](t, page, `document.querySelector('#thresholds-section tbody tr.thr-fail td.expr').textContent`); got != xssThreshold+";abort aborting the run" {
		t.Errorf("report threshold %q", got)
	}
	shot("report")
	tiles := uiEval[string](t, page, `document.querySelector('.tiles').textContent`)
	for _, w := range []string{"99%ile from intended start", "Iterations12,000dropped 300 (2.4%)", "Thresholdsfailed1 of 3 pass"} {
		if !strings.Contains(tiles, w) {
			t.Errorf("report tiles %q lack %q", tiles, w)
		}
	}
	if got := uiEval[string](t, page, `document.querySelector('.params').textContent`); !strings.Contains(got, "Arrival rate200/s") || !strings.Contains(got, "Pool of users") {
		t.Errorf("report parameters %q lack the arrival rate or the pool", got)
	}
	if got := uiEval[string](t, page, `typeof window.__xss + document.querySelectorAll('#app script, img').length`); got != "undefined0" {
		t.Errorf("markup from a threshold ran or made elements: %s", got)
	}

	// A load shape drives the user count: the form does not ask for it,
	// and still starts the test.
	fake.mu.Lock()
	fake.status.Shape, fake.status.ArrivalRate = "stages:30s:100,1m:100", ""
	fake.mu.Unlock()
	page.do(t, "reopen the UI", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("#start-form")))
	// The first update may be the hub's last frame, less than a tick old.
	page.wait(t, "the shape note", `!!document.getElementById('shape-note')`)
	if got := uiEval[string](t, page, `document.getElementById('shape-note').textContent`); !strings.Contains(got, "Load shape: stages:30s:100,1m:100 drives the user count") {
		t.Errorf("shape note %q", got)
	}
	shot("shape")
	if n := uiEval[int](t, page, `[...document.querySelectorAll('#start-form input[name=user_count], #start-form input[name=spawn_rate]')].filter(e => e.type !== 'hidden').length`); n != 0 {
		t.Errorf("%d visible user count or spawn rate fields with a load shape", n)
	}
	page.do(t, "start", chromedp.Click(chromedp.CSS(`#start-form button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS("#start-form")))
	if n, _, _ := fake.calls(); n != 1 {
		t.Errorf("%d swarm calls, want 1", n)
	}
	page.wait(t, "edit disabled", `(b => b && b.disabled && b.title.includes('load shape'))(document.getElementById('edit-test'))`)
	page.checkClean(t)
}
