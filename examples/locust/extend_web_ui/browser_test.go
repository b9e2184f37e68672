package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/examples/locust/internal/porttest"
	"github.com/herdload/herd/internal/browsertest"
)

// In Chromium, the "Content Length" tab is beside herd's tabs and shows
// the port's page, whose script fills the table with both endpoints and no
// page problem (a refused frame, script or style would be one). Skipped
// without Chromium unless HERD_E2E=required.
func TestBrowserContentLengthTab(t *testing.T) {
	t.Parallel()
	exe := browsertest.Chromium(t)
	target := porttest.NewTarget(t)
	ui := start(t, uiURL, "--web-host", "127.0.0.1", "-P", "0", "--web-base-path", "/locust",
		"--autostart", "-u", "8", "-r", "8", "-H", target.URL)

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(t, exe)...)
	defer cancelAlloc()
	var problems browsertest.Problems
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(problems.Observe))
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	poll := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v (page problems %q)", what, err, problems.List())
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ui)); err != nil {
		t.Fatal(err)
	}
	poll("the tab", `[...document.querySelectorAll('nav.tabs [role=tab]')].some(e => e.textContent === 'Content Length')`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-ext-0"))); err != nil {
		t.Fatal(err)
	}
	frameDoc := `document.querySelector('iframe.ext-frame').contentDocument`
	poll("the page's rows", `(() => { const d = `+frameDoc+`; return !!(d && d.body && Number(d.body.dataset.rows) === 2); })()`)
	names, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...`+frameDoc+`.querySelectorAll('#content-length tbody td.name')].map(td => td.textContent).join(',')`))
	if err != nil {
		t.Fatal(err)
	}
	if names != "/,/stats/requests" {
		t.Errorf("the table's names: %q", names)
	}
	if p := problems.List(); len(p) > 0 {
		t.Errorf("page problems: %q", p)
	}
}
