// Command events is Locust's events.py in herd: event listeners sum the
// size of every response; on a distributed run each worker adds its sum to
// its reports to the master and starts again from 0, and the master adds
// them up. Like Locust's, its users test the load tester's own web UI (its
// /stats/requests): start it with the web UI on 127.0.0.1:8089,
//
//	go run ./examples/locust/events --web-host 127.0.0.1 --autostart -u 5 -t 1m
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/herdload/herd"
)

// WebsiteUser runs MyTaskSet: the home page twice as often as the
// statistics.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "MyTaskSet", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "index", Weight: 2, Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }},
		{Name: "stats", Weight: 1, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/stats/requests").Err()
		}},
	}}}}
}

// contentLength is the sum of the response sizes: on a master every
// worker's, on a worker those since its last report.
type contentLength struct {
	mu    sync.Mutex
	total int64
}

func (c *contentLength) add(n int64) {
	c.mu.Lock()
	c.total += n
	c.mu.Unlock()
}

// take returns the sum and starts again from 0.
func (c *contentLength) take() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.total
	c.total = 0
	return n
}

// newTest is the test; the master (or a process on its own) prints the
// total to out when it quits.
func newTest(out io.Writer) *herd.Test {
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		New:  func() herd.User { return new(WebsiteUser) },
		Wait: herd.Between(2*time.Second, 5*time.Second),
	}}}
	sum := new(contentLength)
	// Every request, on the node that sent it.
	test.Events.OnRequest(func(r herd.Request) { sum.add(r.Size) })
	// A worker adds its sum to each report and starts again from 0.
	test.Events.OnReportToMaster(func(_ context.Context, data map[string]any) {
		data["content-length"] = sum.take()
	})
	// The master adds up its workers' sums, whatever number type their
	// msgpack carried (a Python worker's could be a float).
	test.Events.OnWorkerReport(func(_ context.Context, _ string, data map[string]any) {
		if n, ok := herd.ReportInt(data, "content-length"); ok {
			sum.add(n)
		}
	})
	test.Events.OnQuitting(func(q *herd.Quit) {
		if q.Node.Role() != herd.Worker {
			fmt.Fprintf(out, "Total content-length received: %d\n", sum.take())
		}
	})
	return test
}

func main() { herd.Main(newTest(os.Stdout)) }
