package metrics_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"
)

// receiver is an OTLP/HTTP metrics receiver on 127.0.0.1 that decodes
// every push with the official OTLP protobuf types and keeps them.
type receiver struct {
	URL string // the endpoint: …/v1/metrics

	mu     sync.Mutex
	pushes []*colmetricspb.ExportMetricsServiceRequest
	status int // answered instead of 200 when set
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/metrics" {
			http.NotFound(w, r)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := new(colmetricspb.ExportMetricsServiceRequest)
		if err := proto.Unmarshal(raw, req); err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not OTLP protobuf", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.pushes = append(rc.pushes, req)
		status := rc.status
		rc.mu.Unlock()
		if status != 0 {
			http.Error(w, "refused", status)
			return
		}
		out, _ := proto.Marshal(&colmetricspb.ExportMetricsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL + "/v1/metrics"
	return rc
}

// last is the latest push, nil before the first.
func (rc *receiver) last() *colmetricspb.ExportMetricsServiceRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.pushes) == 0 {
		return nil
	}
	return rc.pushes[len(rc.pushes)-1]
}

// otlpEndpoint is one endpoint's figures in a push.
type otlpEndpoint struct {
	requests, failures int64
	hist               *metricspb.ExponentialHistogramDataPoint
}

// endpoints reads every endpoint's figures from a push.
func endpoints(req *colmetricspb.ExportMetricsServiceRequest) map[string]*otlpEndpoint {
	out := map[string]*otlpEndpoint{}
	at := func(attrs []*commonpb.KeyValue) *otlpEndpoint {
		a := attrMap(attrs)
		key := a["method"] + " " + a["name"]
		if out[key] == nil {
			out[key] = &otlpEndpoint{}
		}
		return out[key]
	}
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				switch m.GetName() {
				case "herd.requests":
					for _, p := range m.GetSum().GetDataPoints() {
						at(p.GetAttributes()).requests = p.GetAsInt()
					}
				case "herd.request.failures":
					for _, p := range m.GetSum().GetDataPoints() {
						at(p.GetAttributes()).failures = p.GetAsInt()
					}
				case "herd.request.duration":
					for _, p := range m.GetExponentialHistogram().GetDataPoints() {
						at(p.GetAttributes()).hist = p
					}
				}
			}
		}
	}
	return out
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			out[kv.GetKey()] = v.GetStringValue()
		default:
			out[kv.GetKey()] = v.String()
		}
	}
	return out
}

// bucketTotal adds up an exponential histogram's buckets.
func bucketTotal(p *metricspb.ExponentialHistogramDataPoint) uint64 {
	n := p.GetZeroCount()
	for _, c := range p.GetPositive().GetBucketCounts() {
		n += c
	}
	return n
}
