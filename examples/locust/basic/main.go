// Command basic is Locust's basic.py in herd: a user running one task set
// of three tasks against Locust's own web UI (http://127.0.0.1:8089), one of
// them a page that does not exist.
//
//	go run ./examples/locust/basic --headless -u 10 -t 1m
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
)

// WebsiteUser runs UserTasks, a task set it never leaves.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) index(ctx context.Context) error {
	return u.Client.Get(ctx, "/").Err()
}

func (u *WebsiteUser) stats(ctx context.Context) error {
	return u.Client.Get(ctx, "/stats/requests").Err()
}

func (u *WebsiteUser) page404(ctx context.Context) error {
	return u.Client.Get(ctx, "/does_not_exist").Err()
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "UserTasks", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "index", Run: u.index},
		{Name: "stats", Run: u.stats},
		{Name: "page404", Run: u.page404},
	}}}}
}

func newTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		Wait: herd.Between(2*time.Second, 5*time.Second),
		New:  func() herd.User { return new(WebsiteUser) },
	}}}
}

func main() { herd.Main(newTest()) }
