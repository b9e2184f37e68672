package main

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/cli"
	"github.com/herdload/herd/internal/har"
)

// recording decodes shop.har.
func recording(t *testing.T) *har.HAR {
	t.Helper()
	data, err := os.ReadFile("shop.har")
	if err != nil {
		t.Fatal(err)
	}
	h, err := har.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// main.go is what `herd har shop.har` writes. (internal/har's
// TestChromiumRecording -update-example records both anew.)
func TestGeneratedFromShopHAR(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := herd.Env{Prog: "herd", Args: []string{"har", "shop.har"}, Stdout: &out, Stderr: &errOut}
	if code := cli.Main(context.Background(), env); code != herd.ExitOK {
		t.Fatalf("herd har shop.har: exit %d: %s", code, errOut.String())
	}
	got, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, out.Bytes()) {
		t.Errorf("main.go is not what herd har makes of shop.har now: run go run ./cmd/herd har examples/har/shop.har > examples/har/main.go")
	}
}

// The example, run against the demo shop until it has made one pass over
// the recording, has a statistics row for every recorded request.
func TestReplaysAgainstDemo(t *testing.T) {
	t.Parallel()
	shop, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer shop.Close()
	want := har.Replayed(recording(t), har.Options{})

	test := loadTest()
	var s *herd.StatsSnapshot
	test.Events.OnQuitting(func(q *herd.Quit) { s = q.Stats })
	ctx, stop := context.WithCancel(context.Background())
	polled := make(chan struct{})
	defer func() { stop(); <-polled }()
	go func() { // stop (gracefully) once the shop has answered one pass
		defer close(polled)
		defer stop()
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(20 * time.Millisecond) {
			n := 0
			for _, c := range shop.Requests() {
				n += int(c)
			}
			if n >= len(want) {
				return
			}
		}
	}()
	var out bytes.Buffer
	args := []string{"--headless", "-u", "1", "-t", "5m", "--only-summary", "-H", shop.URL}
	if _, err := test.Run(ctx, herd.Env{Args: args, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	rows := map[har.Replay]uint64{}
	for _, e := range s.Entries {
		rows[har.Replay{Method: e.Method, URL: e.Name}] = e.Requests
	}
	for _, r := range want {
		if rows[r] == 0 {
			t.Errorf("%s %s: recorded, not in the statistics\n%s", r.Method, r.URL, out.String())
		}
	}
	if s.Total.Failures != 0 {
		t.Errorf("failures: %+v", s.Failures)
	}
}
