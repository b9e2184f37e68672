package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
)

// DefaultOTLPInterval is the time between two pushes unless
// OTEL_METRIC_EXPORT_INTERVAL says otherwise: the SDK's own default, a
// minute, is long for a load test.
const DefaultOTLPInterval = 10 * time.Second

// OTLPOptions configure [StartOTLP].
type OTLPOptions struct {
	// Endpoint is the URL the metrics are posted to, such as
	// http://collector:4318/v1/metrics. The OTEL_EXPORTER_OTLP_* variables
	// set the rest: headers, timeout, compression, certificates.
	Endpoint string
	// Interval is the time between pushes; 0 reads
	// OTEL_METRIC_EXPORT_INTERVAL, or DefaultOTLPInterval.
	Interval time.Duration
	// Role names the node in the resource: "standalone" or "master".
	Role string
	// Program is the test program's name, in the resource.
	Program string
	// Log receives failed pushes; nil discards them.
	Log *slog.Logger
}

// OTLP pushes a Source's metrics to an OpenTelemetry collector over
// OTLP/HTTP (protobuf) until Close, which pushes them a last time.
type OTLP struct {
	mp  *sdkmetric.MeterProvider
	exp *loggedExporter
}

// StartOTLP starts pushing src's metrics as opts say.
func StartOTLP(ctx context.Context, src Source, opts OTLPOptions) (*OTLP, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := os.Getenv(v); p != "" {
			if p != "http/protobuf" {
				return nil, fmt.Errorf("otlp: %s=%s: herd pushes over http/protobuf only (the collector's port 4318)", v, p)
			}
			break
		}
	}
	inner, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(opts.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("otlp: %w", err)
	}
	res, err := newResource(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("otlp: resource: %w", err)
	}
	exp := &loggedExporter{Exporter: inner, log: log, endpoint: opts.Endpoint}
	readerOpts := []sdkmetric.PeriodicReaderOption{sdkmetric.WithProducer(&producer{src: src, now: time.Now})}
	switch {
	case opts.Interval > 0:
		readerOpts = append(readerOpts, sdkmetric.WithInterval(opts.Interval))
	case os.Getenv("OTEL_METRIC_EXPORT_INTERVAL") == "": // the SDK reads it when set
		readerOpts = append(readerOpts, sdkmetric.WithInterval(DefaultOTLPInterval))
	}
	reader := sdkmetric.NewPeriodicReader(exp, readerOpts...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader))
	return &OTLP{mp: mp, exp: exp}, nil
}

// Close pushes the metrics a last time, waiting until ctx ends at most,
// and stops. It returns the last push's error.
func (o *OTLP) Close(ctx context.Context) error {
	err := o.mp.Shutdown(ctx)
	if last := o.exp.lastError(); last != nil {
		return fmt.Errorf("otlp: the last push failed: %w", last)
	}
	if err != nil {
		return fmt.Errorf("otlp: %w", err)
	}
	return nil
}

// newResource names the run and the node: service.name herd,
// service.instance.id host:pid, herd.run.id (random, one per process),
// herd.node.role and herd.program; OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES override them.
func newResource(ctx context.Context, opts OTLPOptions) (*resource.Resource, error) {
	host, _ := os.Hostname()
	var id [8]byte
	rand.Read(id[:])
	attrs := []attribute.KeyValue{
		attribute.String("service.name", "herd"),
		attribute.String("service.instance.id", host+":"+strconv.Itoa(os.Getpid())),
		attribute.String("host.name", host),
		attribute.Int("process.pid", os.Getpid()),
		attribute.String("herd.run.id", hex.EncodeToString(id[:])),
		attribute.String("herd.node.role", opts.Role),
	}
	if opts.Program != "" {
		attrs = append(attrs, attribute.String("herd.program", opts.Program))
	}
	return resource.New(ctx, resource.WithAttributes(attrs...), resource.WithFromEnv())
}

// loggedExporter logs failed pushes (the first of a series, and the
// recovery) to herd's log instead of OpenTelemetry's global error
// handler, and remembers the last outcome for Close.
type loggedExporter struct {
	sdkmetric.Exporter
	log      *slog.Logger
	endpoint string

	mu     sync.Mutex
	failed error
}

func (e *loggedExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	err := e.Exporter.Export(ctx, rm)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err != nil && e.failed == nil:
		e.log.Warn("pushing metrics over OTLP failed; retrying at the next interval", "endpoint", e.endpoint, "err", err)
	case err == nil && e.failed != nil:
		e.log.Info("pushing metrics over OTLP works again", "endpoint", e.endpoint)
	}
	e.failed = err
	return nil
}

func (e *loggedExporter) lastError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed
}
