// Command fast_http_locust is Locust's fast_http_locust.py in herd: a user
// on the fasthttp client (herd.FastHTTPUser, Locust's FastHttpUser) that
// reads Locust's web UI without pausing.
//
//	go run ./examples/locust/fast_http_locust --headless -u 10 -t 1m
package main

import (
	"context"

	"github.com/herdload/herd"
)

type WebsiteUser struct {
	herd.FastHTTPUser
	// Settings of Locust's FastHttpUser have their herd equivalents:
	// connection_timeout and network_timeout: --request-timeout or
	// herd.Timeout; insecure: Client.TLSConfig.InsecureSkipVerify.
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "index", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }},
		{Name: "stats", Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/stats/requests").Err() }},
	}
}

func newTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		New:  func() herd.User { return new(WebsiteUser) },
	}}}
}

func main() { herd.Main(newTest()) }
