// Command browse_docs_sequence_test is Locust's
// browse_docs_sequence_test.py in herd: a user reading Locust's
// documentation always in the same order (a sequential task set): the
// index, a page of its table of contents, a page linked from there.
//
//	go run ./examples/locust/browse_docs_sequence_test --headless -u 5 -t 10m
package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/herdload/herd"
)

type AwesomeUser struct {
	herd.HTTPUser
	tocURLs           []string
	urlsOnCurrentPage []string
}

func (u *AwesomeUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "BrowseDocumentationSequence", Set: &herd.TaskSet{
		Sequential: true, // Locust's SequentialTaskSet
		OnStart: func(context.Context) error {
			u.tocURLs, u.urlsOnCurrentPage = nil, nil
			return nil
		},
		Tasks: []herd.Task{
			// Assume all users arrive at the index page.
			{Name: "index_page", Run: u.indexPage},
			{Name: "load_page", Run: u.loadPage},
			{Name: "load_sub_page", Run: u.loadSubPage},
		},
	}}}
}

func (u *AwesomeUser) indexPage(ctx context.Context) error {
	r := u.Client.Get(ctx, "/")
	if err := r.Err(); err != nil {
		return err
	}
	u.tocURLs = internalLinks(tocOf(r.Text()))
	// Several requests in one task are fine: a sequence is not needed for that.
	return u.Client.Get(ctx, "/favicon.ico").Err()
}

func (u *AwesomeUser) loadPage(ctx context.Context) error {
	url, err := choice(u.tocURLs)
	if err != nil {
		return err
	}
	r := u.Client.Get(ctx, url)
	if err := r.Err(); err != nil {
		return err
	}
	u.urlsOnCurrentPage = internalLinks(r.Text())
	return nil
}

func (u *AwesomeUser) loadSubPage(ctx context.Context) error {
	url, err := choice(u.urlsOnCurrentPage)
	if err != nil {
		return err
	}
	return u.Client.Get(ctx, url).Err()
}

// choice is Python's random.choice.
func choice(urls []string) (string, error) {
	if len(urls) == 0 {
		return "", errors.New("no link to follow")
	}
	return urls[rand.IntN(len(urls))], nil
}

// internalAnchor is an <a> whose class has "internal", and its href:
// PyQuery's "a.internal", for Sphinx's pages.
var internalAnchor = regexp.MustCompile(`<a\s[^>]*class="[^"]*\binternal\b[^"]*"[^>]*\shref="([^"]*)"`)

func internalLinks(html string) []string {
	var urls []string
	for _, m := range internalAnchor.FindAllStringSubmatch(html, -1) {
		urls = append(urls, m[1])
	}
	return urls
}

// tocOf is the table of contents (".toctree-wrapper") of a page.
func tocOf(html string) string {
	i := strings.Index(html, `class="toctree-wrapper`)
	if i < 0 {
		return ""
	}
	html = html[i:]
	if j := strings.Index(html, "</div>"); j >= 0 {
		html = html[:j]
	}
	return html
}

func newTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "AwesomeUser",
		Host: "https://docs.locust.io/en/latest/",
		Wait: herd.Between(20*time.Second, 600*time.Second),
		New:  func() herd.User { return new(AwesomeUser) },
	}}}
}

func main() { herd.Main(newTest()) }
