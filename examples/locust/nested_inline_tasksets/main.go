// Command nested_inline_tasksets is Locust's nested_inline_tasksets.py in
// herd: task sets nested inline, the inner one left now and then.
//
//	go run ./examples/locust/nested_inline_tasksets --headless -u 10 -t 1m
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
)

type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "TopLevelTaskSet", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "IndexTaskSet", Set: &herd.TaskSet{Tasks: []herd.Task{
			{Name: "index", Weight: 10, Run: func(ctx context.Context) error {
				return u.Client.Get(ctx, "/").Err()
			}},
			{Name: "stop", Weight: 1, Run: func(context.Context) error {
				return herd.ErrInterrupt // back to TopLevelTaskSet
			}},
		}}},
		{Name: "stats", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/stats/requests").Err()
		}},
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
