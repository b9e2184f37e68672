// Package metrics exports a run's live figures where teams already watch
// their systems: a Prometheus endpoint (/metrics) and OTLP pushes to an
// OpenTelemetry collector. docs/metrics.md lists every metric.
//
// Both read the run's own statistics at collection time (a [Source], which
// the controller implements, and stats.Stats.Visit), so their counters are
// the figures every report shows, never a second bookkeeping that could
// drift. Response times leave herd's exact histograms in two shapes
// (buckets.go): classic buckets whose bounds are bucket boundaries of
// herd's histograms, so their counts are exact, and exponential (native)
// buckets, where each of herd's buckets lands whole in the exponential
// bucket of its midpoint.
package metrics
