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
	var end End
	if run != nil {
		end = run.end
	}
	if end.Failed {
		fmt.Fprintf(c.out, "\nThe test was stopped from code: %s\n", end.Detail)
	}
	var verdicts []threshold.Result
	if run != nil && run.th != nil {
		verdicts = run.th.final()
		fmt.Fprintln(c.out)
		report.WriteThresholds(c.out, verdicts)
	}

	code := ExitOK
	if failed(snap) || end.Failed {
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
	if err := c.closeTelemetry(); err != nil {
		failed = append(failed, err)
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
	c.mu.Lock()
	c.final, c.finalEnd = snap, end
	c.mu.Unlock()
	if c.opts.Hooks.Quitting != nil {
		code = c.opts.Hooks.Quitting(snap, code)
	}
	c.log.Info("shutting down", "exit_code", code)
	return code, err
}

// failed reports whether a run's statistics fail it (--exit-code-on-error):
// a request failed, or user code raised an error. A request interrupted at
// the stop (in flight when its user was killed) is herd cutting it short,
// no verdict on the target, unless its endpoint never answered a request
// at all during the run: a target that hangs fails the run.
func failed(snap *stats.Snapshot) bool {
	if len(snap.Errors) > 0 {
		return true
	}
	for i := range snap.Entries {
		e := &snap.Entries[i]
		if e.Failures > e.Interrupted || (e.Interrupted > 0 && e.Interrupted == e.Requests) {
			return true
		}
	}
	return false
}
