package metrics

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// scope names herd as the instrumentation scope of every OTLP metric.
var scope = instrumentation.Scope{Name: "github.com/herdload/herd"}

// producer is an OpenTelemetry metric producer (sdk/metric.Producer) of a
// Source's metrics. The SDK's instruments cannot carry them: counters that
// exist already must not be counted twice, and there is no asynchronous
// histogram, so each collection converts one view, as the Prometheus
// collector does. The OTLP names become the Prometheus ones when an OTLP
// receiver translates them (herd.requests → herd_requests_total).
type producer struct {
	src Source
	now func() time.Time
}

// Produce reads the Source once and returns every metric.
func (p *producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	v := read(p.src, p.now())
	var ms []metricdata.Metrics
	add := func(name, desc, unit string, data metricdata.Aggregation) {
		ms = append(ms, metricdata.Metrics{Name: name, Description: desc, Unit: unit, Data: data})
	}
	sum := func(points []metricdata.DataPoint[int64]) metricdata.Sum[int64] {
		return metricdata.Sum[int64]{DataPoints: points, Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}
	}
	point := func(n uint64, attrs ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attrs...), StartTime: v.start, Time: v.at, Value: int64(n)}
	}

	requests := make([]metricdata.DataPoint[int64], len(v.series))
	failures := make([]metricdata.DataPoint[int64], len(v.series))
	durations := make([]metricdata.ExponentialHistogramDataPoint[float64], len(v.series))
	for i, s := range v.series {
		attrs := attribute.NewSet(attribute.String("method", s.method), attribute.String("name", s.name))
		requests[i] = metricdata.DataPoint[int64]{Attributes: attrs, StartTime: v.start, Time: v.at, Value: int64(s.requests)}
		failures[i] = metricdata.DataPoint[int64]{Attributes: attrs, StartTime: v.start, Time: v.at, Value: int64(s.failures)}
		durations[i] = exponentialOf(s, attrs, v.start, v.at)
	}
	add("herd.requests", "Requests made, per endpoint: the run's own statistics.", "{request}", sum(requests))
	add("herd.request.failures", "Failed requests, per endpoint.", "{request}", sum(failures))
	add("herd.request.duration", "Response times, per endpoint.", "s",
		metricdata.ExponentialHistogram[float64]{DataPoints: durations, Temporality: metricdata.CumulativeTemporality})
	add("herd.iterations", "Open-model (--arrival-rate) iterations started.", "{iteration}",
		sum([]metricdata.DataPoint[int64]{point(v.iterations)}))
	add("herd.dropped_iterations", "Open-model (--arrival-rate) iterations dropped.", "{iteration}",
		sum([]metricdata.DataPoint[int64]{point(v.dropped)}))

	gauge := func(n int, attrs ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attrs...), Time: v.at, Value: int64(n)}
	}
	var states []metricdata.DataPoint[int64]
	for _, st := range testStates {
		states = append(states, gauge(int(bool01(v.State == st)), attribute.String("state", st)))
	}
	// No unit "1" on the 0/1 gauges: Prometheus' OTLP translation would
	// name them …_ratio.
	add("herd.state", "The test's state: 1 for the current one, 0 for the others.", "",
		metricdata.Gauge[int64]{DataPoints: states})
	var users []metricdata.DataPoint[int64]
	for _, t := range v.userTypes() {
		users = append(users, gauge(v.Users[t], attribute.String("user_type", validUTF8(t))))
	}
	add("herd.users", "Running users, per user type.", "{user}", metricdata.Gauge[int64]{DataPoints: users})
	if v.CPUKnown {
		add("herd.cpu.usage", "This herd process's CPU use over the last second, a share of its usable cores.", "1",
			metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Time: v.at, Value: v.CPU}}})
	}
	if v.Master {
		var workers []metricdata.DataPoint[int64]
		for i, n := range v.workerCounts() {
			workers = append(workers, gauge(n, attribute.String("state", workerStates[i])))
		}
		add("herd.workers", "A master's workers, per state.", "{worker}", metricdata.Gauge[int64]{DataPoints: workers})
		var cpu []metricdata.DataPoint[float64]
		for _, w := range v.Workers {
			cpu = append(cpu, metricdata.DataPoint[float64]{
				Attributes: attribute.NewSet(attribute.String("worker", validUTF8(w.ID))), Time: v.at, Value: w.CPU})
		}
		add("herd.worker.cpu.usage", "CPU use of each worker, a share of its usable cores.", "1",
			metricdata.Gauge[float64]{DataPoints: cpu})
	}
	if len(v.Thresholds) > 0 {
		var th []metricdata.DataPoint[int64]
		for _, r := range v.Thresholds {
			for _, st := range thresholdStatuses {
				th = append(th, gauge(int(bool01(r.Status.String() == st)),
					attribute.String("threshold", validUTF8(r.Expr)), attribute.String("status", st)))
			}
		}
		add("herd.threshold.status", "Each --threshold's verdict: 1 for its current status, 0 for the others.", "",
			metricdata.Gauge[int64]{DataPoints: th})
	}
	return []metricdata.ScopeMetrics{{Scope: scope, Metrics: ms}}, nil
}

// exponentialOf is s's response times as an OTLP exponential histogram:
// the same buckets as the Prometheus native histogram, whose index i is
// OTLP's i-1 (OTLP's bucket i covers (base^i, base^(i+1)]).
func exponentialOf(s *series, attrs attribute.Set, start, at time.Time) metricdata.ExponentialHistogramDataPoint[float64] {
	p := metricdata.ExponentialHistogramDataPoint[float64]{
		Attributes: attrs, StartTime: start, Time: at,
		Count: s.requests, Sum: s.sum, Scale: s.schema,
	}
	if s.requests > 0 {
		p.Min, p.Max = metricdata.NewExtrema(s.min), metricdata.NewExtrema(s.max)
	}
	if len(s.buckets) > 0 {
		first := s.buckets[0].index
		counts := make([]uint64, s.buckets[len(s.buckets)-1].index-first+1)
		for _, b := range s.buckets {
			counts[b.index-first] = b.count
		}
		p.PositiveBucket = metricdata.ExponentialBucket{Offset: first - 1, Counts: counts}
	}
	return p
}
