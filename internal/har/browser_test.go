package har

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/browsertest"
)

var updateExample = flag.Bool("update-example", false, "record examples/har/shop.har anew and regenerate examples/har/main.go")

// exampleHost is the demo shop's address in examples/har: `herd
// serve-demo`'s default, so the example runs against it as it is.
const exampleHost = "127.0.0.1:8080"

// browse is the recorded session: three pages of the demo shop, each
// with the API calls a page's script would make. Each reads its bodies:
// Chromium finishes loading a response (loadingFinished) only then.
var browse = []struct{ path, script string }{
	{"/", `(async () => {
		await (await fetch("/api/login", {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
			body: JSON.stringify({username: "testuser", password: "testpass"})})).text();
		const r = await fetch("/api/products", {headers: {"Accept": "application/json"}});
		return (await r.json()).length;
	})()`},
	{"/api/products/3", `(async () => {
		await (await fetch("/api/cart", {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
			body: JSON.stringify({product_id: 3, quantity: 2})})).text();
		const r = await fetch("/api/cart", {headers: {"Accept": "application/json"}});
		return (await r.json()).items.length;
	})()`},
	{"/health", `(async () => {
		const r = await fetch("/api/orders", {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
			body: JSON.stringify({product_id: 3, quantity: 2})});
		return (await r.json()).order_id;
	})()`},
}

// The check of issue 16: a HAR recorded with headless Chromium (from its
// network events) while browsing the demo shop, converted as `herd har`
// converts it, built as a program of its own and run against the demo
// shop: every request of every recorded page appears in the run's
// statistics. With -update-example it also rewrites examples/har.
func TestChromiumRecording(t *testing.T) {
	exe := browsertest.Chromium(t)
	t.Parallel()
	shop, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()

	rec := newRecorder()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browsertest.Options(t, exe)...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(rec.observe))
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second) // a bound, not a budget
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	for _, step := range browse {
		if err := chromedp.Do(ctx, chromedp.Navigate(shop.URL+step.path)); err != nil {
			t.Fatalf("open %s: %v", step.path, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](step.script, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("script of %s: %v", step.path, err)
		}
		if err := rec.settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	product := "Chromium"
	if v, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{}); err == nil && v.Product != "" {
		product = v.Product // "HeadlessChrome/131.0.6778.85"
	}
	data, err := json.MarshalIndent(rec.har(product), "", "  ")
	if err != nil {
		t.Fatal(err)
	}

	h, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Log.Pages) != len(browse) {
		t.Errorf("%d pages recorded, want %d", len(h.Log.Pages), len(browse))
	}
	src, err := Generate(h, Options{Source: "shop.har"})
	if err != nil {
		t.Fatal(err)
	}
	want := replayed(t, h, Options{})
	if len(want) < 2*len(browse) {
		t.Errorf("%d requests replayed, want at least %d: %v", len(want), 2*len(browse), want)
	}
	rows := runAgainstDemo(t, buildProgram(t, src), len(want))
	checkReplayed(t, h, rows)

	if *updateExample {
		writeExample(t, shop.Addr, data)
	}
}

// writeExample rewrites examples/har from a recording, on the example's
// host instead of the test shop's port.
func writeExample(t *testing.T, addr string, data []byte) {
	t.Helper()
	data = bytes.ReplaceAll(data, []byte(addr), []byte(exampleHost))
	h, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(h, Options{Source: "shop.har"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "examples", "har")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"shop.har": append(data, '\n'), "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(string(src), addr) {
		t.Errorf("the example still names the test shop's address %s", addr)
	}
}
