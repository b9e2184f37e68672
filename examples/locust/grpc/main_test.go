package main

import (
	"slices"
	"testing"

	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// Against a local server (-H): every call is counted under Locust's name
// and type, as often as the server saw it.
func TestRun(t *testing.T) {
	t.Parallel()
	svc := &helloService{}
	addr, stop, err := startServer("127.0.0.1:0", svc)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Users finish their task (the call and its 1 s pause) at the stop.
	res := porttest.Run(t, newTest(0), "-u", "3", "-r", "100", "-t", "1s", "-s", "30s", "-H", "grpc://"+addr)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	if got, want := res.Report.Names(), []string{"grpc SayHello"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	if e := res.Report.Entry("grpc", "SayHello"); e.Requests == 0 || int64(e.Requests) != svc.calls.Load() || e.Failures != 0 {
		t.Errorf("SayHello: %d recorded (%d failed), the server served %d", e.Requests, e.Failures, svc.calls.Load())
	}
}
