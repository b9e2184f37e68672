// Command multiple_hosts is Locust's multiple_hosts.py in herd: a user with
// a second HTTP session to another host (API_HOST in the environment),
// recorded like its main one.
//
//	API_HOST=http://localhost:8090 go run ./examples/locust/multiple_hosts --headless -u 5 -t 1m
package main

import (
	"context"
	"os"
	"time"

	"github.com/herdload/herd"
)

// MultipleHostsUser is an HTTP user with an API client of its own.
type MultipleHostsUser struct {
	herd.HTTPUser
	apiHost   string
	APIClient *herd.Session
}

func (u *MultipleHostsUser) OnStart(ctx context.Context) error {
	var err error
	u.APIClient, err = herd.NewSession(ctx, u.apiHost) // closed with the user
	return err
}

// WebsiteUser runs UserTasks on both hosts.
type WebsiteUser struct{ MultipleHostsUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "UserTasks", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "index", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}},
		{Name: "index_other_host", Run: func(ctx context.Context) error {
			return u.APIClient.Get(ctx, "/stats/requests").Err()
		}},
	}}}}
}

// newTest is the test, its users' second host apiHost.
func newTest(apiHost string) *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		Wait: herd.Between(2*time.Second, 5*time.Second),
		New: func() herd.User {
			return &WebsiteUser{MultipleHostsUser{apiHost: apiHost}}
		},
	}}}
}

func main() { herd.Main(newTest(os.Getenv("API_HOST"))) }
