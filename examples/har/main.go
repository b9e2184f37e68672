// Command recorded is a herd load test that `herd har` wrote from shop.har
// (recorded with Chrome/156.0.8078.114 (network events, herd's recorder)): 3
// pages, 8 requests to http://127.0.0.1:8080, replayed in the recorded order
// with the recorded pauses. Left out: 1 static asset (--keep-static).
//
// Run it against the recorded host, or another one with -H:
//
//	go run . --headless -u 10 -r 2 -t 1m
//	go run . --headless -u 10 -r 2 -t 1m -H http://127.0.0.1:8080
//
// Cookies are left to the session, which keeps what the server sets. Values
// marked "dynamic:" are replayed as recorded: a real test extracts them from
// the responses that issue them.
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
)

// Recorded replays the recording: each page is a task, run in order.
type Recorded struct {
	herd.HTTPUser
	paused int // pauses taken so far, to pick the next one
}

func (u *Recorded) Tasks() []herd.Task {
	return []herd.Task{{Name: "recording", Set: &herd.TaskSet{
		Sequential: true,
		Wait:       u.pause,
		Tasks: []herd.Task{
			{Name: "page 1: herd demo shop", Run: u.page1},
			{Name: "page 2: GET /api/products/3", Run: u.page2},
			{Name: "page 3: GET /health", Run: u.page3},
		},
	}}}
}

// pauses are the recorded pauses after each page; the last one, before the
// recording starts over, is their mean.
var pauses = []time.Duration{
	200 * time.Millisecond, // after page 1
	60 * time.Millisecond,  // after page 2
	130 * time.Millisecond, // after page 3, before page 1 again
}

// pause is the pause after the page that just ran: pages run in order.
func (u *Recorded) pause(time.Duration) time.Duration {
	d := pauses[u.paused%len(pauses)]
	u.paused++
	return d
}

// page1 replays page 1, "herd demo shop": 3 requests.
func (u *Recorded) page1(ctx context.Context) error {
	if err := u.Client.Get(ctx, "/").Err(); err != nil {
		return err
	}
	if err := u.Client.Post(ctx, "/api/login", herd.Raw("application/json", []byte(`{"username":"testuser","password":"testpass"}`)),
		herd.Header("Accept", "application/json"),
	).Err(); err != nil {
		return err
	}
	return u.Client.Get(ctx, "/api/products", herd.Header("Accept", "application/json")).Err()
}

// page2 replays page 2, "GET /api/products/3": 3 requests.
func (u *Recorded) page2(ctx context.Context) error {
	if err := u.Client.Get(ctx, "/api/products/3").Err(); err != nil {
		return err
	}
	if err := u.Client.Post(ctx, "/api/cart", herd.Raw("application/json", []byte(`{"product_id":3,"quantity":2}`)),
		herd.Header("Accept", "application/json"),
	).Err(); err != nil {
		return err
	}
	return u.Client.Get(ctx, "/api/cart", herd.Header("Accept", "application/json")).Err()
}

// page3 replays page 3, "GET /health": 2 requests.
func (u *Recorded) page3(ctx context.Context) error {
	if err := u.Client.Get(ctx, "/health").Err(); err != nil {
		return err
	}
	return u.Client.Post(ctx, "/api/orders", herd.Raw("application/json", []byte(`{"product_id":3,"quantity":2}`)),
		herd.Header("Accept", "application/json"),
	).Err()
}

// loadTest is the test: one user type, on the recorded host unless -H says
// otherwise.
func loadTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "Recorded",
		Host: "http://127.0.0.1:8080",
		New:  func() herd.User { return new(Recorded) },
	}}}
}

func main() { herd.Main(loadTest()) }
