// Command browse_docs_test is Locust's browse_docs_test.py in herd: a user
// reading Locust's documentation, following the table of contents and the
// links of each page, with long pauses (20 s to 10 min) to read.
//
//	go run ./examples/locust/browse_docs_test --headless -u 5 -t 10m
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

// AwesomeUser browses the documentation. The task set's state (the links
// it saw) is the user's: Tasks makes the set for each user.
type AwesomeUser struct {
	herd.HTTPUser
	tocURLs           []string // the table of contents' links
	urlsOnCurrentPage []string
}

func (u *AwesomeUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "BrowseDocumentation", Set: &herd.TaskSet{
		OnStart: func(ctx context.Context) error {
			// Assume all users arrive at the index page.
			if err := u.indexPage(ctx); err != nil {
				return err
			}
			u.urlsOnCurrentPage = u.tocURLs
			return nil
		},
		Tasks: []herd.Task{
			{Name: "index_page", Weight: 10, Run: u.indexPage},
			{Name: "load_page", Weight: 50, Run: u.loadPage},
			{Name: "load_sub_page", Weight: 30, Run: u.loadSubPage},
		},
	}}}
}

func (u *AwesomeUser) indexPage(ctx context.Context) error {
	r := u.Client.Get(ctx, "/")
	if err := r.Err(); err != nil {
		return err
	}
	u.tocURLs = internalLinks(tocOf(r.Text()))
	return nil
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
		// Someone browsing the docs reads a while: 20 s to 10 min.
		Wait: herd.Between(20*time.Second, 600*time.Second),
		New:  func() herd.User { return new(AwesomeUser) },
	}}}
}

func main() { herd.Main(newTest()) }
