// Command server is Locust's custom_xmlrpc_client/server.py in Go: an
// XML-RPC service with get_time and get_random_number(low, high), each
// after a random pause of up to a second, on localhost:8877 (or -addr).
//
//	go run ./examples/locust/custom_xmlrpc_client/server
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/herdload/herd/examples/locust/custom_xmlrpc_client/rpcserver"
)

func main() {
	addr := flag.String("addr", "localhost:8877", "address to listen on")
	flag.Parse()
	fmt.Printf("Listening on %s...\n", *addr)
	srv := &http.Server{Addr: *addr, Handler: rpcserver.Handler(time.Second), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
