// Command quickstart is Locust's classic example in herd: a shopper who logs
// in, then browses and orders. Without -H it tests herd's built-in demo shop:
//
//	go run ./examples/quickstart --headless -u 20 -r 10 -t 30s
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) OnStart(ctx context.Context) error {
	login := map[string]string{"username": "testuser", "password": "testpass"}
	return u.Client.Post(ctx, "/api/login", herd.JSON(login)).Err()
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "index", Weight: 3, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}},
		{Name: "product", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/api/products/1", herd.Name("/api/products/{id}")).Err()
		}},
		{Name: "order", Run: func(ctx context.Context) error {
			order := map[string]int{"product_id": 1, "quantity": 2}
			return u.Client.Post(ctx, "/api/orders", herd.JSON(order)).Err()
		}},
	}
}

func main() {
	herd.Main(&herd.Test{
		Users: []*herd.UserType{{
			Name: "WebsiteUser",
			New:  func() herd.User { return new(WebsiteUser) },
			Wait: herd.Between(1*time.Second, 3*time.Second),
		}},
		FallbackHost: demo.FallbackHost, // no -H given: serve herd's demo shop on loopback
	})
}
