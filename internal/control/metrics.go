package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/herdload/herd/internal/metrics"
	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// telemetry is what the process exports as its tests run (issue 15):
// /metrics (on the web UI's port, and on --metrics-port), the OTLP pushes
// of --otlp-endpoint and the --jsonl history. Workers have none: their
// master counts their requests.
type telemetry struct {
	handler http.Handler    // /metrics; nil until openTelemetry
	server  *metrics.Server // --metrics-port
	otlp    *metrics.OTLP   // --otlp-endpoint
	jsonl   *report.JSONLFile
	closed  bool
}

// openTelemetry starts what the options ask for. The exporters read the
// controller (metricsSource) at each scrape and push.
func (c *Controller) openTelemetry(ctx context.Context) error {
	src := metricsSource{c}
	c.tel.handler = metrics.Handler(src, c.log)
	if c.cfg.JSONLFile != "" {
		f, err := report.OpenJSONL(c.cfg.JSONLFile)
		if err != nil {
			return fmt.Errorf("--jsonl: %w", err)
		}
		c.tel.jsonl = f
	}
	if c.cfg.MetricsPort >= 0 {
		srv, err := metrics.Serve(metrics.ServerOptions{
			Addr: net.JoinHostPort(c.cfg.WebHost, strconv.Itoa(c.cfg.MetricsPort)),
			Auth: c.cfg.WebAuth, TLSCert: c.cfg.TLSCert, TLSKey: c.cfg.TLSKey, Log: c.log,
		}, c.tel.handler)
		if err != nil {
			return fmt.Errorf("--metrics-port: %w", err)
		}
		c.tel.server = srv
		c.log.Info("Prometheus metrics ready", "url", srv.URL())
	}
	if c.cfg.OTLPEndpoint != "" {
		role := "standalone"
		if c.master != nil {
			role = "master"
		}
		o, err := metrics.StartOTLP(ctx, src, metrics.OTLPOptions{Endpoint: c.cfg.OTLPEndpoint, Role: role,
			Program: c.opts.Prog, Log: c.log})
		if err != nil {
			return fmt.Errorf("--otlp-endpoint: %w", err)
		}
		c.tel.otlp = o
		c.log.Info("pushing metrics over OTLP", "endpoint", c.cfg.OTLPEndpoint)
	}
	return nil
}

// closeTelemetry pushes the final figures over OTLP, closes the --jsonl
// file and stops serving --metrics-port. Every goroutine that changes the
// statistics has ended. It does its work once.
func (c *Controller) closeTelemetry() error {
	if c.tel.closed {
		return nil
	}
	c.tel.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if c.tel.otlp != nil {
		if err := c.tel.otlp.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("--otlp-endpoint: %w", err))
		}
	}
	if c.tel.jsonl != nil {
		if err := c.tel.jsonl.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--jsonl: %w", err))
		}
	}
	if c.tel.server != nil {
		if err := c.tel.server.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-port: %w", err))
		}
	}
	return errors.Join(errs...)
}

// fullHistory reports whether a test's statistics keep every entry's
// per-second history: for --csv-full-history and --jsonl.
func (c *Controller) fullHistory() bool { return c.cfg.CSVFullHistory || c.cfg.JSONLFile != "" }

// csvHistory is the rows of one second the CSV history gets: all of them
// with --csv-full-history, else the total's (the last).
func (c *Controller) csvHistory(rows []stats.HistoryRow) []stats.HistoryRow {
	if c.cfg.CSVFullHistory || len(rows) == 0 {
		return rows
	}
	return rows[len(rows)-1:]
}

// appendJSONL streams one second's rows to the --jsonl file.
func (c *Controller) appendJSONL(rows []stats.HistoryRow) {
	if c.tel.jsonl == nil {
		return
	}
	if err := c.tel.jsonl.Append(rows); err != nil {
		c.log.Error("writing the --jsonl history", "err", err)
	}
}

// metricsSource is the Controller as the exporters read it.
type metricsSource struct{ c *Controller }

func (s metricsSource) Read(r *metrics.Reading) {
	c := s.c
	c.mu.Lock()
	r.State, r.CPU, r.CPUKnown = c.state.String(), c.cpuShare, c.cpuKnown
	run := c.run
	c.mu.Unlock()
	r.Users = map[string]int{}
	types := c.picked
	if run != nil {
		r.Stats, types = run.stats, run.types
		for name, n := range run.eng.counts() {
			r.Users[name] = n
		}
	}
	for _, t := range types { // types that run no user yet show 0
		if _, ok := r.Users[t.Name]; !ok {
			r.Users[t.Name] = 0
		}
	}
	if c.master != nil {
		r.Master = true
		for _, w := range c.master.Workers() {
			r.Workers = append(r.Workers, metrics.Worker{ID: w.ID, State: w.State, CPU: w.CPU / 100})
		}
	}
	r.Thresholds = c.Thresholds()
}
