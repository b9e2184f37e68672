// Command custom_wait_function is Locust's custom_wait_function.py in
// herd: two user types whose wait times are their own methods, an
// exponential wait with a mean of one second, and one bounded to 3–7 s.
//
//	go run ./examples/locust/custom_wait_function --headless -u 10 -t 1m
package main

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd"
)

// userTasks is the task set both types run (basic.py's UserTasks).
func userTasks(c *herd.Session) []herd.Task {
	get := func(path string) func(context.Context) error {
		return func(ctx context.Context) error { return c.Get(ctx, path).Err() }
	}
	return []herd.Task{{Name: "UserTasks", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "index", Run: get("/")},
		{Name: "stats", Run: get("/stats/requests")},
		{Name: "page404", Run: get("/does_not_exist")},
	}}}}
}

// WebsiteUser's task inter-arrival times approximate an exponential
// distribution with a mean of one second.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task { return userTasks(u.Client) }

// WaitTime is the user's own wait time, Locust's wait_time method.
func (u *WebsiteUser) WaitTime(time.Duration) time.Duration { return expovariate(1) }

// StrictWebsiteUser waits an exponentially distributed time strictly
// between 3 and 7 seconds.
type StrictWebsiteUser struct{ herd.HTTPUser }

func (u *StrictWebsiteUser) Tasks() []herd.Task { return userTasks(u.Client) }

func (u *StrictWebsiteUser) WaitTime(time.Duration) time.Duration {
	return strictExp(3*time.Second, 7*time.Second, 1)
}

// expovariate is Python's random.expovariate(lambd), in seconds.
func expovariate(lambd float64) time.Duration {
	return time.Duration(rand.ExpFloat64() / lambd * float64(time.Second))
}

// strictExp is an exponentially distributed time strictly between lo and
// hi.
func strictExp(lo, hi time.Duration, mu float64) time.Duration {
	for {
		x := rand.ExpFloat64() / mu
		increment := float64(hi-lo) / (mu * 6)
		if d := lo + time.Duration(x*increment); d < hi {
			return d
		}
	}
}

func newTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{
		{Name: "WebsiteUser", Host: "http://127.0.0.1:8089", New: func() herd.User { return new(WebsiteUser) }},
		{Name: "StrictWebsiteUser", Host: "http://127.0.0.1:8089", New: func() herd.User { return new(StrictWebsiteUser) }},
	}}
}

func main() { herd.Main(newTest()) }
