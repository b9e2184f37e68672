package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "browse_docs_test.py", "pyquery"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(10 * time.Millisecond) // 20–600 s in Locust's
	res := porttest.Run(t, test, "-u", "3", "-r", "100", "-t", "1s", "-s", "30s", "-H", target.URL+"/en/latest/")
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	// The names are the pages' paths under the host's, as Locust's.
	pages := []string{"GET /en/latest/", "GET /en/latest/installation.html", "GET /en/latest/quickstart.html",
		"GET /en/latest/what-is-locust.html", "GET /en/latest/writing-a-locustfile.html"}
	names := res.Report.Names()
	for _, n := range names {
		if !slices.Contains(pages, n) {
			t.Errorf("unexpected name %q", n)
		}
	}
	if len(names) < 3 {
		t.Errorf("names %v: the users followed few links", names)
	}
	if n := res.Report.Entry("GET", "/en/latest/").Requests; n < 3 {
		t.Errorf("%d requests of the index, want one per user at least", n)
	}
	for _, e := range res.Report.Stats {
		if e.Failures != 0 || e.Requests != target.Count(e.Method, e.Name) {
			t.Errorf("%s %s: %d requests (the target saw %d), %d failures", e.Method, e.Name, e.Requests, target.Count(e.Method, e.Name), e.Failures)
		}
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	page := `<div class="toctree-wrapper compound"><a class="reference internal" href="a.html">A</a>
		<a href="x.html">plain</a></div><a class="reference internal" href="b.html#s">B</a><a class="reference external" href="https://x">X</a>`
	if got := internalLinks(tocOf(page)); !slices.Equal(got, []string{"a.html"}) {
		t.Errorf("table of contents: %v", got)
	}
	if got := internalLinks(page); !slices.Equal(got, []string{"a.html", "b.html#s"}) {
		t.Errorf("internal links: %v", got)
	}
	if got := tocOf("<p>no toc</p>"); strings.Contains(got, "p") {
		t.Errorf("a page without a table of contents: %q", got)
	}
}
