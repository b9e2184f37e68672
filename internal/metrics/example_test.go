package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/herdload/herd/internal/metrics"
	"github.com/herdload/herd/internal/stats"
)

// run is a Source: a test that made two requests.
type run struct{ st *stats.Stats }

func (r run) Read(rd *metrics.Reading) {
	rd.State, rd.Stats, rd.Users = "running", r.st, map[string]int{"Visitor": 1}
}

func newRun() run {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := stats.New(start, stats.Options{Shards: 1})
	st.Shard(0).Record("GET", "/", 3*time.Millisecond, 10, "")
	st.Shard(0).Record("GET", "/", 5*time.Millisecond, 10, "HTTP 503")
	st.Tick(start.Add(time.Second), 1)
	return run{st}
}

// A Collector registered with any Prometheus registry.
func ExampleCollector() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(newRun()))
	families, _ := reg.Gather()
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "herd_request") {
			m := f.GetMetric()[0]
			switch {
			case m.Counter != nil:
				fmt.Println(f.GetName(), m.GetCounter().GetValue())
			case m.Histogram != nil:
				fmt.Println(f.GetName(), "count", m.GetHistogram().GetSampleCount(), "schema", m.GetHistogram().GetSchema())
			}
		}
	}
	// Output:
	// herd_request_duration_seconds count 2 schema 5
	// herd_request_failures_total 1
	// herd_requests_total 2
}

// /metrics on a server of its own, as --metrics-port serves it.
func ExampleServe() {
	srv, err := metrics.Serve(metrics.ServerOptions{Addr: "127.0.0.1:0"}, metrics.Handler(newRun(), nil))
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())
	resp, err := http.Get(srv.URL())
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "herd_requests_total") || strings.HasPrefix(line, "herd_state{state=\"running\"}") {
			fmt.Println(line)
		}
	}
	// Output:
	// herd_requests_total{method="GET",name="/"} 2
	// herd_state{state="running"} 1
}
