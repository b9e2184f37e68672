package metrics_test

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/metrics"
	"github.com/herdload/herd/internal/stats"
)

// source is a Source over fixed figures.
type source struct{ r metrics.Reading }

func (s *source) Read(r *metrics.Reading) { *r = s.r }

// TestOTLPPushesTheStatistics: Close pushes the figures a last time; the
// receiver decodes per endpoint the snapshot's counts, and an exponential
// histogram with the exact count, sum, min and max; the resource names
// the run and the node.
func TestOTLPPushesTheStatistics(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	start := time.Now()
	st := stats.New(start, stats.Options{Shards: 1})
	for i := range 50 {
		fail := ""
		if i%5 == 0 {
			fail = "HTTP 503"
		}
		st.Shard(0).Record("GET", "/a", time.Duration(i+1)*time.Millisecond, 0, fail)
		st.Shard(0).Record("POST", "/b", time.Duration(i+1)*time.Microsecond, 0, "")
	}
	st.Tick(start.Add(time.Second), 2)
	o, err := metrics.StartOTLP(t.Context(), &source{metrics.Reading{State: "running", Stats: st,
		Users: map[string]int{"U": 2}}}, metrics.OTLPOptions{Endpoint: rc.URL, Interval: time.Hour, Role: "standalone",
		Program: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	req := rc.last()
	if req == nil {
		t.Fatal("nothing was pushed")
	}
	res := attrMap(req.GetResourceMetrics()[0].GetResource().GetAttributes())
	for _, k := range []string{"service.name", "service.instance.id", "herd.run.id", "herd.node.role", "herd.program"} {
		if res[k] == "" {
			t.Errorf("resource attribute %s missing: %v", k, res)
		}
	}
	if res["herd.node.role"] != "standalone" || res["service.name"] != "herd" {
		t.Errorf("resource %v", res)
	}
	got := endpoints(req)
	snap := st.Snapshot(start.Add(time.Second), 2)
	if len(got) != len(snap.Entries) {
		t.Fatalf("%d endpoints pushed, want %d: %v", len(got), len(snap.Entries), got)
	}
	for _, e := range snap.Entries {
		key := e.Method + " " + e.Name
		p := got[key]
		if p == nil || p.requests != int64(e.Requests) || p.failures != int64(e.Failures) || p.hist == nil {
			t.Errorf("%s: pushed %+v, want %d requests, %d failures", key, p, e.Requests, e.Failures)
			continue
		}
		h := p.hist
		if h.GetCount() != e.Requests || bucketTotal(h) != e.Requests {
			t.Errorf("%s: histogram count %d, buckets %d, want %d", key, h.GetCount(), bucketTotal(h), e.Requests)
		}
		if want := e.Mean.Seconds() * float64(e.Requests); math.Abs(h.GetSum()-want) > 1e-6 {
			t.Errorf("%s: sum %v, want %v", key, h.GetSum(), want)
		}
		if h.GetMin() != e.Min.Seconds() || h.GetMax() != e.Max.Seconds() {
			t.Errorf("%s: min %v max %v, want %v %v", key, h.GetMin(), h.GetMax(), e.Min, e.Max)
		}
		// The median's bucket: OTLP's bucket i is (base^i, base^(i+1)].
		base := math.Exp2(math.Exp2(-float64(h.GetScale())))
		var seen uint64
		for i, c := range h.GetPositive().GetBucketCounts() {
			seen += c
			if seen*2 >= e.Requests {
				idx := float64(int(h.GetPositive().GetOffset()) + i)
				lo, hi := math.Pow(base, idx), math.Pow(base, idx+1)
				if med := e.Median.Seconds(); med < lo*0.98 || med > hi*1.02 {
					t.Errorf("%s: median %v outside its bucket (%v, %v]", key, e.Median, lo, hi)
				}
				break
			}
		}
	}
}

// TestOTLPCloseReportsAFailedPush: a collector that refuses the last push
// makes Close fail, saying so.
func TestOTLPCloseReportsAFailedPush(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.status = http.StatusBadRequest
	o, err := metrics.StartOTLP(t.Context(), &source{metrics.Reading{State: "ready"}},
		metrics.OTLPOptions{Endpoint: rc.URL, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Close(ctx); err == nil || !strings.Contains(err.Error(), "last push failed") {
		t.Errorf("Close: %v", err)
	}
}
