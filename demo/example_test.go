package demo_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/herdload/herd/demo"
)

// Start a demo shop on a free loopback port and check that it is ready.
func Example() {
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/health")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: ok
}

// Use the shop as a plain handler, without latency or errors, and read its
// request counts.
func ExampleHandler() {
	shop := demo.Handler(demo.Options{LatencyScale: -1, ErrorRate: -1})
	for _, path := range []string{"/api/products", "/api/products/3", "/api/products/42"} {
		rec := httptest.NewRecorder()
		shop.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code)
	}
	fmt.Println(shop.Requests())
	// Output:
	// /api/products 200
	// /api/products/3 200
	// /api/products/42 404
	// map[GET /api/products:1 GET /api/products/{id}:2]
}
