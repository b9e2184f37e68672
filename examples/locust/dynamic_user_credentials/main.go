// Command dynamic_user_credentials is Locust's dynamic_user_credentials.py
// in herd: each user takes the next credentials of a list as it starts and
// logs in with them; users past the end of the list run without.
//
//	go run ./examples/locust/dynamic_user_credentials --headless -u 5 -t 1m -H http://localhost:8080
package main

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/herdload/herd"
)

type credentials struct{ user, password string }

// pool hands out credentials, last first (Python's list.pop), to users
// starting on any goroutine.
type pool struct {
	mu    sync.Mutex
	creds []credentials
}

func (p *pool) pop() (credentials, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.creds) == 0 {
		return credentials{}, false
	}
	c := p.creds[len(p.creds)-1]
	p.creds = p.creds[:len(p.creds)-1]
	return c, true
}

type User struct {
	herd.HTTPUser
	creds *pool
}

func (u *User) Tasks() []herd.Task {
	return []herd.Task{{Name: "UserBehaviour", Set: &herd.TaskSet{
		OnStart: func(ctx context.Context) error {
			c, ok := u.creds.pop()
			if !ok {
				return nil
			}
			return u.Client.Post(ctx, "/login", herd.Form(url.Values{"username": {c.user}, "password": {c.password}})).Err()
		},
		Tasks: []herd.Task{{Name: "some_task", Run: func(ctx context.Context) error {
			// The user is logged in here, unless the credentials ran out.
			return u.Client.Get(ctx, "/protected/resource").Err()
		}}},
	}}}
}

// newTest gives each run a fresh list of credentials.
func newTest() *herd.Test {
	creds := &pool{creds: []credentials{{"user1", "password"}, {"user2", "password"}, {"user3", "password"}}}
	return &herd.Test{Users: []*herd.UserType{{
		Name: "User",
		Wait: herd.Between(5*time.Second, 60*time.Second),
		New:  func() herd.User { return &User{creds: creds} },
	}}}
}

func main() { herd.Main(newTest()) }
