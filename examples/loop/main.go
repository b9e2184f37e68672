// Command loop is the closed loop at its cheapest: LoopUsers, whose users
// are state machines on herd's event loop (one per core) rather than
// goroutines running tasks. Each user browses the demo shop's front page
// and a product, as declared requests. Without -H it tests herd's built-in
// demo shop:
//
//	go run ./examples/loop --headless -u 50 -r 50 -t 30s
//	go run ./examples/loop --headless -H http://127.0.0.1:8080 -u 50 -t 30s
package main

import (
	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// requests are what every user sends, in order, over and over.
var requests = []herd.LoopRequest{
	{URL: "/"},
	{URL: "/api/products/1", Name: "/api/products/{id}"},
}

func main() {
	herd.Main(&herd.Test{
		Users: []*herd.UserType{{
			Name: "Browser",
			New:  func() herd.User { return &herd.LoopUser{Requests: requests} },
		}},
		FallbackHost: demo.FallbackHost, // no -H given: serve herd's demo shop on loopback
	})
}
