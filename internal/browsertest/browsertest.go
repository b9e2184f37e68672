// Package browsertest starts headless Chromium for herd's browser tests
// and collects what a page reports as going wrong. Tests only.
package browsertest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is the Chromium binary. Without one the test is skipped, or
// fails when HERD_E2E=required (CI installs Debian's chromium).
func Chromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("HERD_E2E") == "required" {
		t.Fatal("Chromium not found (/usr/bin/chromium or chromium on PATH) and HERD_E2E=required; install it: apt-get install chromium")
	}
	t.Skip("Chromium not found; set HERD_E2E=required to fail instead")
	return ""
}

// Options start exe headless with a fresh profile and a 1366×768 window,
// without the background traffic a closed network refuses.
func Options(t testing.TB, exe string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
}

// Problems collects uncaught exceptions, console errors and error log
// entries (except those whose URL contains one of Expected).
type Problems struct {
	Expected []string
	mu       sync.Mutex
	list     []string
}

// Observe is a chromedp listener; it records the events that are problems.
func (p *Problems) Observe(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg = "exception: " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		for _, x := range p.Expected {
			if strings.Contains(e.URL, x) {
				return
			}
		}
		msg = fmt.Sprintf("log %s: %s %s", e.Source, e.Text, e.URL)
	default:
		return
	}
	p.Add(msg)
}

// Add records a problem found some other way.
func (p *Problems) Add(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, msg)
}

// List is the problems so far.
func (p *Problems) List() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}
