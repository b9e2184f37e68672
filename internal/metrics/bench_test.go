package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// benchSource is a run with n endpoints, each with 200 response times
// spread from 1 ms to about 1.5 s (197 non-empty buckets of herd's histogram, 84
// native ones at schema 3), ticked once.
func benchSource(b testing.TB, n int) *fakeSource {
	b.Helper()
	st := stats.New(testStart, stats.Options{Shards: 1, MaxNames: n + 1})
	sh := st.Shard(0)
	for i := range n {
		name := fmt.Sprintf("/api/items/%05d", i)
		for j := range 200 {
			d := time.Millisecond + time.Duration(j*j*j)*190*time.Nanosecond // 1 ms … ~1.5 s, denser low
			fail := ""
			if j%50 == 0 {
				fail = "HTTP 500"
			}
			sh.Record("GET", name, d, 512, fail)
		}
	}
	st.Tick(testStart.Add(time.Second), 100)
	return &fakeSource{Reading{State: "running", Stats: st, Users: map[string]int{"U": 100}, CPU: 0.5, CPUKnown: true}}
}

// BenchmarkScrape10000 is one Prometheus scrape of 10,000 endpoints through
// Handler, in each format, as a Prometheus server asks for it (gzip).
// bytes/scrape is the body on the wire, raw-bytes the body uncompressed.
func BenchmarkScrape10000(b *testing.B) {
	src := benchSource(b, 10_000)
	h := Handler(src, nil)
	for _, f := range []struct{ name, accept string }{
		{"text", "text/plain;version=0.0.4"},
		{"openmetrics", "application/openmetrics-text;version=1.0.0"},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
	} {
		for _, gzip := range []bool{true, false} {
			name := f.name
			if !gzip {
				name += "-uncompressed"
			}
			b.Run(name, func(b *testing.B) {
				req := httptest.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept", f.accept)
				if gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				var size int
				cpu := processCPU()
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatal(rec.Code)
					}
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size), "bytes/scrape")
				reportCPU(b, cpu)
			})
		}
	}
}

// BenchmarkRead10000 is the part of a collection that holds the
// statistics' lock: visiting 10,000 endpoints and converting their
// histograms (the recording path never takes this lock).
func BenchmarkRead10000(b *testing.B) {
	src := benchSource(b, 10_000)
	cpu := processCPU()
	for b.Loop() {
		read(src, testStart)
	}
	reportCPU(b, cpu)
}

// BenchmarkProduce10000 is one OTLP collection of 10,000 endpoints (the
// export's protobuf encoding and sending not included).
func BenchmarkProduce10000(b *testing.B) {
	p := &producer{src: benchSource(b, 10_000), now: time.Now}
	cpu := processCPU()
	for b.Loop() {
		if _, err := p.Produce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the process's CPU time per operation since from: on a
// busy machine wall time per operation says little, CPU time still does.
func reportCPU(b *testing.B, from time.Duration) {
	if used := processCPU() - from; from > 0 {
		b.ReportMetric(float64(used.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}
