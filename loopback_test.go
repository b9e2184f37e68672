package herd

import (
	"net"
	"sync"
	"testing"
)

// loopbackServer listens on 127.0.0.1 and runs serve on its own goroutine
// for every connection, numbered from 1. When the test ends it closes the
// listener and every connection still open, and waits for the goroutines.
func loopbackServer(tb testing.TB, serve func(n int, c net.Conn)) *net.TCPAddr {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { serve(n, c) })
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr)
}
