// Command semaphore_wait is Locust's semaphore_wait.py in herd: every user
// waits, before its first task, until all users are spawned, then for its
// wait time.
//
//	go run ./examples/locust/semaphore_wait --headless -u 50 -r 5 -t 1m
package main

import (
	"context"
	"sync"
	"time"

	"github.com/herdload/herd"
)

type WebsiteUser struct {
	herd.HTTPUser
	allSpawned <-chan struct{}
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "UserTasks", Set: &herd.TaskSet{
		OnStart: func(ctx context.Context) error {
			select {
			case <-u.allSpawned:
			case <-ctx.Done():
				return ctx.Err()
			}
			return herd.Wait(ctx) // the user's wait time, Locust's self.wait()
		},
		Tasks: []herd.Task{{Name: "index", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}}},
	}}}
}

// newTest is the test, with its own signal that all users are spawned
// (Locust's semaphore, released by the spawning_complete event).
func newTest() *herd.Test {
	allSpawned := make(chan struct{})
	var once sync.Once
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		Wait: herd.Between(2*time.Second, 5*time.Second),
		New:  func() herd.User { return &WebsiteUser{allSpawned: allSpawned} },
	}}}
	test.Events.OnSpawningComplete(func(int) { once.Do(func() { close(allSpawned) }) })
	return test
}

func main() { herd.Main(newTest()) }
