// Command locustfile is Locust's example locustfile.py in herd: a user that
// logs in once, then says hello (weight 1) or views ten items, pausing a
// second after each (weight 3), waiting 1–2 s between tasks.
//
//	go run ./examples/locust/locustfile --headless -u 10 -t 1m -H http://localhost:8080
package main

import (
	"context"
	"strconv"
	"time"

	"github.com/herdload/herd"
)

type QuickstartUser struct {
	herd.HTTPUser
	itemPause time.Duration // after each item: Locust's time.sleep(1)
}

func (u *QuickstartUser) OnStart(ctx context.Context) error {
	return u.Client.Post(ctx, "/login", herd.JSON(map[string]string{"username": "foo", "password": "bar"})).Err()
}

func (u *QuickstartUser) helloWorld(ctx context.Context) error {
	u.Client.Get(ctx, "/hello")
	u.Client.Get(ctx, "/world")
	return nil
}

func (u *QuickstartUser) viewItem(ctx context.Context) error {
	for id := range 10 {
		u.Client.Get(ctx, "/item?id="+strconv.Itoa(id), herd.Name("/item"))
		// herd.Sleep, not time.Sleep: the kill at the stop ends it.
		if err := herd.Sleep(ctx, u.itemPause); err != nil {
			return err
		}
	}
	return nil
}

func (u *QuickstartUser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "hello_world", Run: u.helloWorld},
		{Name: "view_item", Weight: 3, Run: u.viewItem},
	}
}

// newTest is the test, with itemPause after each item (the test shortens
// Locust's second).
func newTest(itemPause time.Duration) *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "QuickstartUser",
		Wait: herd.Between(time.Second, 2*time.Second),
		New:  func() herd.User { return &QuickstartUser{itemPause: itemPause} },
	}}}
}

func main() { herd.Main(newTest(time.Second)) }
