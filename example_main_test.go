package herd_test

import (
	"context"
	"time"

	"github.com/herdload/herd"
)

// Reader is a simulated visitor of a news site.
type Reader struct{ herd.HTTPUser }

// OnStart runs once per user, before its first task.
func (u *Reader) OnStart(ctx context.Context) error {
	u.Client.Header.Set("Accept-Language", "en")
	return nil
}

// Tasks lists what a reader does, weighted; the forum is a nested task set
// with its own think time, left by returning herd.ErrInterrupt.
func (u *Reader) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "front page", Weight: 5, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}},
		{Name: "article", Weight: 2, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/articles/42", herd.Name("/articles/{id}")).Err()
		}},
		{Name: "forum", Tags: []string{"forum"}, Set: &herd.TaskSet{
			Wait: herd.Constant(500 * time.Millisecond),
			Tasks: []herd.Task{
				{Name: "read thread", Weight: 3, Run: func(ctx context.Context) error {
					return u.Client.Get(ctx, "/forum/7", herd.Name("/forum/{thread}")).Err()
				}},
				{Name: "leave forum", Run: func(context.Context) error { return herd.ErrInterrupt }},
			},
		}},
	}
}

// A test program: one user type, handed to herd.Main, which gives the
// program Locust's command line (go run . --headless -u 100 -r 10 -t 5m -H
// https://staging.example.com).
func ExampleMain() {
	herd.Main(&herd.Test{Users: []*herd.UserType{{
		Name: "Reader",
		New:  func() herd.User { return new(Reader) },
		Wait: herd.Between(time.Second, 5*time.Second),
	}}})
}
