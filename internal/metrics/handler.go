package metrics

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves src's metrics in every format Prometheus asks for (text,
// OpenMetrics, protobuf with native histograms), with the process's own
// (process_cpu_seconds_total, memory, file descriptors). Errors in a scrape are logged to log (nil: discarded) and
// the rest is still served.
func Handler(src Source, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	// Not the Go collector: its go_memstats_alloc_bytes_total and
	// go_memstats_alloc_bytes are one family name in OpenMetrics.
	reg.MustRegister(NewCollector(src), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}
