package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The Prometheus metrics, documented in docs/metrics.md.
var (
	descRequests = prometheus.NewDesc("herd_requests_total",
		"Requests made, per endpoint: the run's own statistics.", []string{"method", "name"}, nil)
	descFailures = prometheus.NewDesc("herd_request_failures_total",
		"Failed requests, per endpoint.", []string{"method", "name"}, nil)
	descDuration = prometheus.NewDesc("herd_request_duration_seconds",
		"Response times, per endpoint: classic buckets with exact counts, and a native histogram.",
		[]string{"method", "name"}, nil)
	descUsers = prometheus.NewDesc("herd_users",
		"Running users, per user type (the whole cluster's on a master).", []string{"user_type"}, nil)
	descWorkers = prometheus.NewDesc("herd_workers",
		"A master's workers, per state.", []string{"state"}, nil)
	descWorkerCPU = prometheus.NewDesc("herd_worker_cpu_usage_ratio",
		"CPU use of each of a master's workers, a share of its usable cores.", []string{"worker"}, nil)
	descIterations = prometheus.NewDesc("herd_iterations_total",
		"Open-model (--arrival-rate) iterations started.", nil, nil)
	descDropped = prometheus.NewDesc("herd_dropped_iterations_total",
		"Open-model (--arrival-rate) iterations dropped: due when no user was free, or too late.", nil, nil)
	descThreshold = prometheus.NewDesc("herd_threshold_status",
		"Each --threshold's verdict: 1 for its current status (pending, pass or fail), 0 for the others.",
		[]string{"threshold", "status"}, nil)
	descCPU = prometheus.NewDesc("herd_cpu_usage_ratio",
		"This herd process's CPU use over the last second, a share of its usable cores.", nil, nil)
	descState = prometheus.NewDesc("herd_state",
		"The test's state: 1 for the current one (ready, spawning, running, stopping, stopped), 0 for the others.",
		[]string{"state"}, nil)
)

// thresholdStatuses are the statuses herd_threshold_status reports.
var thresholdStatuses = []string{"pending", "pass", "fail"}

// Collector is a prometheus.Collector of a run's metrics: each Collect reads
// its Source once.
type Collector struct {
	src Source
	now func() time.Time
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector of src's metrics.
func NewCollector(src Source) *Collector {
	return &Collector{src: src, now: time.Now}
}

// Describe sends the descriptors of every metric the Collector may send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descFailures, descDuration, descUsers, descWorkers,
		descWorkerCPU, descIterations, descDropped, descThreshold, descCPU, descState} {
		ch <- d
	}
}

// Collect reads the Source and sends every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	v := read(c.src, c.now())
	gauge := func(d *prometheus.Desc, x float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, labels...)
	}
	for _, st := range testStates {
		gauge(descState, bool01(v.State == st), st)
	}
	for _, t := range v.userTypes() {
		gauge(descUsers, float64(v.Users[t]), validUTF8(t))
	}
	if v.CPUKnown {
		gauge(descCPU, v.CPU)
	}
	if v.Master {
		for i, n := range v.workerCounts() {
			gauge(descWorkers, float64(n), workerStates[i])
		}
		for _, w := range v.Workers {
			gauge(descWorkerCPU, w.CPU, validUTF8(w.ID))
		}
	}
	for _, r := range v.Thresholds {
		for _, st := range thresholdStatuses {
			gauge(descThreshold, bool01(r.Status.String() == st), validUTF8(r.Expr), st)
		}
	}
	created := timestamppb.New(v.start)
	counter := func(d *prometheus.Desc, n uint64) {
		m, err := prometheus.NewConstMetricWithCreatedTimestamp(d, prometheus.CounterValue, float64(n), v.start)
		if err == nil {
			ch <- m
		}
	}
	counter(descIterations, v.iterations)
	counter(descDropped, v.dropped)
	for _, s := range v.series {
		labels := []*dto.LabelPair{{Name: new("method"), Value: &s.method}, {Name: new("name"), Value: &s.name}}
		for k := range endpointKinds {
			ch <- endpointMetric{kind: k, s: s, labels: labels, created: created}
		}
	}
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// endpointKind says which of an endpoint's metrics an endpointMetric is.
type endpointKind uint8

const (
	kindRequests endpointKind = iota
	kindFailures
	kindDuration
	endpointKinds
)

// endpointMetric is one of an endpoint's metrics, written straight from
// its series (the label pairs are shared by the endpoint's metrics and
// never changed).
type endpointMetric struct {
	kind    endpointKind
	s       *series
	labels  []*dto.LabelPair
	created *timestamppb.Timestamp
}

func (m endpointMetric) Desc() *prometheus.Desc {
	switch m.kind {
	case kindRequests:
		return descRequests
	case kindFailures:
		return descFailures
	}
	return descDuration
}

func (m endpointMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	s := m.s
	switch m.kind {
	case kindRequests:
		out.Counter = &dto.Counter{Value: new(float64(s.requests)), CreatedTimestamp: m.created}
	case kindFailures:
		out.Counter = &dto.Counter{Value: new(float64(s.failures)), CreatedTimestamp: m.created}
	default:
		out.Histogram = histogramOf(s, m.created)
	}
	return nil
}

// classicUpper are the classic buckets' upper bounds in seconds, shared by
// every histogram written (dto values are read, never changed, once
// written).
var classicUpper = func() (ub [len(classicBounds)]float64) {
	for i, le := range classicBounds {
		ub[i] = float64(le) / 1e6
	}
	return ub
}()

// histogramOf writes s's response times as one histogram with both
// classic buckets (cumulative, +Inf implied by the count) and native
// buckets (spans of consecutive indexes, counts as deltas). Its parts are
// allocated together: a scrape writes one per endpoint.
func histogramOf(s *series, created *timestamppb.Timestamp) *dto.Histogram {
	var parts struct {
		h       dto.Histogram
		buckets [len(classicBounds)]dto.Bucket
		ptrs    [len(classicBounds)]*dto.Bucket
		cum     [len(classicBounds)]uint64
		schema  int32
		zero    float64
		zeroN   uint64
		spans   [1]dto.BucketSpan
		first   [1]*dto.BucketSpan
		offset  int32
		length  uint32
	}
	p := &parts
	p.schema = s.schema
	h := &p.h
	h.SampleCount, h.SampleSum, h.CreatedTimestamp = &s.requests, &s.sum, created
	h.Schema, h.ZeroThreshold, h.ZeroCount = &p.schema, &p.zero, &p.zeroN
	var cum uint64
	for i := range classicBounds {
		cum += s.classic[i]
		p.cum[i] = cum
		p.buckets[i].CumulativeCount, p.buckets[i].UpperBound = &p.cum[i], &classicUpper[i]
		p.ptrs[i] = &p.buckets[i]
	}
	h.Bucket = p.ptrs[:]
	if len(s.buckets) == 0 {
		// An empty native histogram is told from a classic one by a span.
		p.spans[0].Offset, p.spans[0].Length = &p.offset, &p.length
		p.first[0] = &p.spans[0]
		h.PositiveSpan = p.first[:]
		return h
	}
	h.PositiveDelta = make([]int64, len(s.buckets))
	var prev int64
	var span *dto.BucketSpan
	next := s.buckets[0].index // the index right after the current span
	for i, b := range s.buckets {
		if span == nil || b.index != next {
			gap := b.index
			if span != nil {
				gap -= next
			}
			span = &dto.BucketSpan{Offset: new(gap), Length: new(uint32(0))}
			h.PositiveSpan = append(h.PositiveSpan, span)
		}
		*span.Length++
		next = b.index + 1
		h.PositiveDelta[i] = int64(b.count) - prev
		prev = int64(b.count)
	}
	return h
}
