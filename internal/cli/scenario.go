package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// shopper logs in, browses products, fills a cart and orders: the demo
// shop's main customer.
type shopper struct{ herd.HTTPUser }

func (u *shopper) OnStart(ctx context.Context) error {
	login := map[string]string{"username": "testuser", "password": "testpass"}
	return u.Client.Post(ctx, "/api/login", herd.JSON(login)).Err()
}

func (u *shopper) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "home", Weight: 3, Tags: []string{"browse"}, Run: u.home},
		{Name: "product", Weight: 3, Tags: []string{"browse"}, Run: u.product},
		{Name: "checkout", Weight: 1, Tags: []string{"buy"}, Set: &herd.TaskSet{
			Sequential: true,
			Tasks: []herd.Task{
				{Name: "add to cart", Run: u.addToCart},
				{Name: "view cart", Run: u.viewCart},
				{Name: "order", Run: u.order},
				{Name: "done", Run: func(context.Context) error { return herd.ErrInterrupt }},
			},
		}},
	}
}

func (u *shopper) home(ctx context.Context) error {
	return u.Client.Get(ctx, "/").Err()
}

func (u *shopper) product(ctx context.Context) error {
	id := rand.IntN(22) + 1 // ids 21 and 22 do not exist: expected 404s
	return u.Client.Get(ctx, fmt.Sprintf("/api/products/%d", id), herd.Name("/api/products/{id}"),
		herd.Accept(http.StatusNotFound),
		herd.Check(func(r *herd.Response) error {
			if r.StatusCode == http.StatusNotFound && id <= 20 {
				return fmt.Errorf("product %d not found", id)
			}
			return nil
		})).Err()
}

func (u *shopper) addToCart(ctx context.Context) error {
	item := map[string]int{"product_id": rand.IntN(20) + 1, "quantity": 1}
	return u.Client.Post(ctx, "/api/cart", herd.JSON(item)).Err()
}

func (u *shopper) viewCart(ctx context.Context) error {
	return u.Client.Get(ctx, "/api/cart").Err()
}

func (u *shopper) order(ctx context.Context) error {
	order := map[string]int{"product_id": rand.IntN(20) + 1, "quantity": 2}
	return u.Client.Post(ctx, "/api/orders", herd.JSON(order)).Err()
}

// browser looks around without logging in.
type browser struct{ herd.HTTPUser }

func (u *browser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "home", Weight: 2, Tags: []string{"browse"}, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/").Err()
		}},
		{Name: "catalogue", Tags: []string{"browse"}, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/api/products").Err()
		}},
	}
}

// demoTest is the scenario `herd demo` runs against the demo shop.
func demoTest() *herd.Test {
	return &herd.Test{
		Users: []*herd.UserType{
			{Name: "Shopper", Weight: 3, Wait: herd.Between(500*time.Millisecond, 2*time.Second),
				New: func() herd.User { return new(shopper) }},
			{Name: "Browser", Weight: 1, Wait: herd.Between(time.Second, 3*time.Second),
				New: func() herd.User { return new(browser) }},
		},
		FallbackHost: demo.FallbackHost,
		// Below the config file, the environment and the command line.
		Defaults: []string{"-u", "20", "-r", "10", "-t", "30s"},
	}
}
