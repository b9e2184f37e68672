package web

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/herdload/herd/internal/stats"
)

// TestBrowserStartFormOptions: the start form shows the test's own options
// as custom parameters and posts them under Locust's field names.
func TestBrowserStartFormOptions(t *testing.T) {
	t.Parallel()
	f := &uiFakeAPI{
		every: 200 * time.Millisecond,
		status: Status{State: StateReady, SpawnRate: 1, Host: "http://localhost:8080",
			UserClasses: []UserClass{{Name: "WebUser", Weight: 1}},
			Options: []CustomOption{{Name: "my-argument", Value: "x", Help: "It's working"},
				{Name: "fast", Value: false}, {Name: "slow", Value: true}}},
		snap: &stats.Snapshot{Time: time.Now(), Start: time.Now(), Total: stats.Entry{Name: stats.TotalName}},
	}
	page := uiNewPage(t, false)
	u := uiServe(t, f)
	page.do(t, "open the UI", chromedp.Navigate(u))
	page.do(t, "the custom parameters", chromedp.WaitVisible(chromedp.CSS("#custom-options")))
	page.do(t, "fill in and submit",
		chromedp.SetValue(chromedp.CSS(`#start-form input[name=my_argument]`), "from the form"),
		chromedp.Click(chromedp.CSS(`#start-form input[type=checkbox][name=fast]`)),
		chromedp.Click(chromedp.CSS(`#start-form input[type=checkbox][name=slow]`)),
		chromedp.Click(chromedp.CSS(`#start-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#start-form")),
	)
	f.mu.Lock()
	got := slices.Clone(f.swarms)
	f.mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d swarm posts, want 1", len(got))
	}
	want := url.Values{"my_argument": {"from the form"}, "fast": {"true", "false"}, "slow": {"false"}}
	for k, v := range want {
		if fmt.Sprint(got[0][k]) != fmt.Sprint(v) {
			t.Errorf("posted %s=%v, want %v (all: %v)", k, got[0][k], v, got[0])
		}
	}
	page.checkClean(t)
}
