// Command target is the benchmark's HTTP target: GET / answers a 13-byte
// body over keep-alive connections. It listens on 127.0.0.1 (or, with -ip,
// another loopback address: the memory benchmark starts one target per
// address, because one address pair has only ~28k ephemeral ports and one
// process only as many connections as its open-file limit) and prints
// "listening on ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
)

var body = []byte("Hello, world!") // 13 bytes

func main() {
	port := flag.Int("port", 0, "port (0 picks a free one)")
	ip := flag.String("ip", "127.0.0.1", "loopback address to listen on (127.0.0.0/8)")
	flag.Parse()
	addr, err := netip.ParseAddr(*ip)
	if err != nil || !addr.Is4() || !addr.IsLoopback() {
		log.Fatalf("-ip %q: not an address in 127.0.0.0/8", *ip)
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, uint16(*port)).String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "13")
		w.Write(body)
	})
	log.Fatal(http.Serve(ln, h))
}
