package metrics_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// serveOnFreePort runs bin with the arguments args gives for a free
// loopback address and returns that address once GET http://addr+ready
// answers 200. The programs it runs (Prometheus, locust_exporter) cannot
// pick a port and say which, so the test picks one; another process may
// take it in between, and then it tries again with another. The test's
// end stops the program.
func serveOnFreePort(t *testing.T, name, bin, ready string, args func(addr string, try int) []string) string {
	t.Helper()
	for try := 0; ; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, args(addr, try)...)
		out := new(syncBuffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cancel(); <-exited })
		if serves(t, name, "http://"+addr+ready, exited, try < 3, out) {
			return addr
		}
	}
}

// serves polls url until it answers 200 (true), or the program exited
// (false if it may be tried again).
func serves(t *testing.T, name, url string, exited <-chan struct{}, retry bool, out *syncBuffer) bool {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-exited:
			if !retry {
				t.Fatalf("%s exited:\n%s", name, out.String())
			}
			return false
		case <-time.After(20 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered %s:\n%s", name, url, out.String())
			}
		}
	}
}
