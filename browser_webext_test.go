package herd_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/herdload/herd"
)

// The test's page: markup, a script file that fills its table from a JSON
// route of the test's (inline scripts are refused by the UI's policy).
const (
	extPageHTML = `<!doctype html><html><head><title>Mine</title><link rel="stylesheet" href="page.css"></head>
<body><h1>Mine</h1><table id="mine"><tbody></tbody></table><script src="page.js"></script></body></html>`
	extPageJS = `fetch("../mine.json").then(r => r.json()).then(d => {
  const tb = document.querySelector("#mine tbody");
  for (const [k, v] of Object.entries(d)) {
    const tr = document.createElement("tr");
    for (const x of [k, String(v)]) { const td = document.createElement("td"); td.textContent = x; tr.appendChild(td); }
    tb.appendChild(tr);
  }
  document.body.dataset.done = "1";
});`
)

// TestBrowserWebUIExtension: the test's tab shows beside herd's under a
// base path, and a click loads its page in the pane, whose script reaches
// the test's JSON route (which reads the run's node) without any page
// problem (a refused frame or script would be one).
func TestBrowserWebUIExtension(t *testing.T) {
	t.Parallel()
	b := e2eOpenBrowser(t)
	test := pingTest()
	test.WebUI = herd.WebUI{
		Handlers: map[string]http.Handler{
			"/mine/": http.StripPrefix("/mine/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "", "index.html":
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Write([]byte(extPageHTML))
				case "page.js":
					w.Header().Set("Content-Type", "text/javascript")
					w.Write([]byte(extPageJS))
				case "page.css":
					w.Header().Set("Content-Type", "text/css")
					w.Write([]byte("td { padding: 2px 8px }"))
				default:
					http.NotFound(w, r)
				}
			})),
			"/mine.json": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"role":"` + string(herd.NodeFrom(r.Context()).Role()) + `","/a":12}`))
			}),
		},
		Tabs: []herd.WebTab{{Title: "Mine", Path: "/mine/"}},
	}
	// Started, so that no start form covers the tabs.
	base, stop, stderr := startUI(t, test, "--web-base-path", "/x", "-H", okServer(t).URL, "--autostart", "-u", "1", "-r", "10")

	b.do(t, "open the UI", chromedp.Navigate(base))
	b.wait(t, "the test's tab", `[...document.querySelectorAll('nav.tabs [role=tab]')].map(e => e.textContent).join('|').endsWith('Download|Mine')`)
	b.do(t, "open the tab", chromedp.Click(chromedp.CSS("#tab-ext-0")))
	b.wait(t, "the page's table", `(() => { const f = document.querySelector('iframe.ext-frame'); const d = f && f.contentDocument; return !!(d && d.body && d.body.dataset.done === '1'); })()`)
	rows := e2eEval[string](t, b, `[...document.querySelector('iframe.ext-frame').contentDocument.querySelectorAll('#mine tr')].map(tr => tr.textContent).join(',')`)
	if rows != "role"+string(herd.Standalone)+",/a12" && rows != "/a12,role"+string(herd.Standalone) {
		t.Errorf("the page's rows: %q", rows)
	}
	if hash := e2eEval[string](t, b, `location.hash`); hash != "#ext-0" {
		t.Errorf("location.hash %q, want #ext-0", hash)
	}
	if p := b.problems.List(); len(p) > 0 {
		t.Errorf("%s", b.report())
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
	if strings.Contains(stderr.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", stderr)
	}
}
