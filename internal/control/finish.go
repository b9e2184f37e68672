package control

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
	"github.com/herdload/herd/internal/web"
)

// finish writes the final reports of the last test and decides the exit
// code. Every goroutine of the controller has returned and a master's
// workers have sent their last reports, so nothing changes the statistics
// any more.
func (c *Controller) finish() (int, error) {
	run := c.current()
	var snap *stats.Snapshot
	var history []stats.HistoryRow
	if run != nil {
		snap = run.stats.Snapshot(run.stopped, run.finalUsers)
		history = c.History()
	} else {
		now := time.Now()
		snap = stats.New(now, stats.Options{Shards: 1}).Snapshot(now, 0)
	}
	report.WriteSummary(c.out, snap)
	c.writeWorkers(c.out)
	var verdicts []threshold.Result
	if run != nil && run.th != nil {
		verdicts = run.th.final()
		fmt.Fprintln(c.out)
		report.WriteThresholds(c.out, verdicts)
	}

	code := ExitOK
	if snap.Total.Failures > 0 || len(snap.Errors) > 0 {
		code = c.cfg.ExitCodeOnError
	}
	if !threshold.Passed(verdicts) {
		code = ExitThreshold
	}
	var failed []error
	if c.csv != nil {
		if err := c.csv.Update(snap); err != nil {
			failed = append(failed, fmt.Errorf("--csv: %w", err))
		}
		if err := c.csv.Close(); err != nil {
			failed = append(failed, fmt.Errorf("--csv: %w", err))
		}
	}
	if c.cfg.JSON {
		if err := report.WriteRunJSON(c.opts.Stdout, snap, history, verdicts); err != nil {
			failed = append(failed, fmt.Errorf("--json: %w", err))
		}
	}
	if c.cfg.JSONFile != "" {
		err := writeAtomic(c.cfg.JSONFile, func(w io.Writer) error { return report.WriteRunJSON(w, snap, history, verdicts) })
		if err != nil {
			failed = append(failed, fmt.Errorf("--json-file: %w", err))
		}
	}
	if c.cfg.JUnitFile != "" {
		err := writeAtomic(c.cfg.JUnitFile, func(w io.Writer) error {
			return threshold.WriteJUnit(w, c.opts.Prog+" thresholds", verdicts, snap.Duration)
		})
		if err != nil {
			failed = append(failed, fmt.Errorf("--junit: %w", err))
		}
	}
	if c.cfg.HTMLFile != "" {
		err := writeAtomic(c.cfg.HTMLFile, func(w io.Writer) error {
			r := web.ReportFromController(uiController{c})
			if c.master != nil { // as the test ran, not after the workers quit
				r.Workers = webWorkers(c.finalWorkers())
			}
			return web.WriteHTMLReport(w, r)
		})
		if err != nil {
			failed = append(failed, fmt.Errorf("--html: %w", err))
		}
	}
	err := errors.Join(failed...)
	if err != nil {
		code = ExitInternal
		err = fmt.Errorf("writing reports: %w", err)
	}
	if c.opts.Hooks.Quitting != nil {
		code = c.opts.Hooks.Quitting(snap, code)
	}
	c.log.Info("shutting down", "exit_code", code)
	return code, err
}
