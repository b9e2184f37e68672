package control

import (
	"context"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
	"github.com/herdload/herd/internal/web"
)

// withUI serves the web UI and lets it drive tests until ctx is cancelled
// or --autoquit fires. A test that ends on its own (run time, shape,
// ErrStopTest, the last worker gone) only stops: the UI stays up, as
// Locust's does. The final reports follow in Run.
func (c *Controller) withUI(ctx context.Context) (int, error) {
	ui := uiController{c}
	srv := web.New(web.Options{
		Addr:     net.JoinHostPort(c.cfg.WebHost, strconv.Itoa(c.cfg.WebPort)),
		BasePath: c.cfg.WebBasePath,
		Auth:     c.cfg.WebAuth,
		TLSCert:  c.cfg.TLSCert,
		TLSKey:   c.cfg.TLSKey,
		Logger:   c.log,
		Assets:   web.Assets(),
		Report: func(w io.Writer, ctrl web.Controller) error {
			return web.WriteHTMLReport(w, web.ReportFromController(ctrl))
		},
		// Without auth: the names it answers to besides its bind address,
		// localhost and IP addresses (against DNS rebinding).
		AllowedHosts: c.cfg.WebHostAllow,
		Metrics:      c.tel.handler,
		Extension:    c.opts.WebUI,
	}, ui)
	url, err := srv.Start()
	if err != nil {
		return ExitConfig, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()
	c.log.Info("web UI ready: open it in a browser", "url", url)
	if c.cfg.WebHost == "" && c.cfg.WebAuth == "" {
		c.log.Warn("the web UI listens on every interface without --web-auth: anyone who reaches this port can start load tests")
	}
	if c.cfg.Autostart {
		if c.master != nil {
			if err := c.waitForWorkers(ctx); err != nil {
				c.log.Error("--autostart", "err", err)
			}
		}
		if err := c.Swarm(Start{Users: c.cfg.Users, SpawnRate: c.cfg.SpawnRate, RunTime: c.cfg.RunTime}); err != nil {
			c.log.Error("--autostart: could not start the test", "err", err)
		}
	}
	var reason End
	select {
	case <-ctx.Done():
		reason = End{Reason: Interrupted}
	case reason = <-c.quit:
	}
	c.log.Info("quitting", "reason", reason.String())
	return 0, nil
}

// uiController is the Controller as the web UI drives it.
type uiController struct{ c *Controller }

var _ web.Controller = uiController{}

func (u uiController) Swarm(req web.SwarmRequest) error {
	if h := u.c.opts.Hooks.SetOptions; h != nil && len(req.Options) > 0 {
		h(req.Options)
	}
	return u.c.Swarm(Start{Users: req.Users, SpawnRate: req.SpawnRate, Host: req.Host, RunTime: req.RunTime,
		UserClasses: req.UserClasses})
}

func (u uiController) Stop() { u.c.Stop() }

// ResetStats is the web UI's reset: the ResetStats hook runs first, as
// Locust fires reset_stats before it resets (--reset-stats fires nothing).
func (u uiController) ResetStats() {
	if h := u.c.opts.Hooks.ResetStats; h != nil {
		h()
	}
	u.c.ResetStats()
}

func (u uiController) Snapshot() *stats.Snapshot      { return u.c.Snapshot() }
func (u uiController) History() []stats.HistoryRow    { return u.c.History() }
func (u uiController) Thresholds() []threshold.Result { return u.c.Thresholds() }
func (u uiController) TaskRatio() report.TaskRatio    { return u.c.TaskRatio() }
func (u uiController) FullHistoryCSV() string         { return u.c.FullHistoryCSV() }

// Status describes the current test for the status bar and start form.
func (u uiController) Status() web.Status {
	c := u.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s := web.Status{
		State:       c.state.String(),
		Host:        c.cfg.Host,
		TargetUsers: c.cfg.Users,
		SpawnRate:   c.cfg.SpawnRate,
		RunTime:     c.cfg.RunTime,
		ClassPicker: c.cfg.ClassPicker,
		CPUWarning:  c.cpuHot,
		CPUShare:    c.cpuShare,
		Shape:       c.shapeName,
		MaxUsers:    c.cfg.MaxUsers,
	}
	if c.open != nil {
		s.ArrivalRate = c.open.spec
	}
	if h := c.opts.Hooks.UIOptions; h != nil {
		s.Options = h()
	}
	selected := c.picked
	if run := c.run; run != nil {
		s.Users = run.eng.users()
		s.TargetUsers, s.SpawnRate, s.RunTime = run.target, run.rate, run.runTime
		s.Host, s.StartedAt, s.StoppedAt, s.Deadline = run.host, run.started, run.stopped, run.deadline
		if !c.state.Active() {
			s.Deadline = time.Time{}
		}
		selected = run.types
	}
	if s.Host == "" {
		s.Host = c.hosts.started()
	}
	if s.ArrivalRate != "" { // the pool's effective cap: --max-users, or the pool itself
		s.MaxUsers = max(s.MaxUsers, s.TargetUsers)
	}
	for _, t := range c.types {
		uc := web.UserClass{Name: t.Name, Weight: t.Weight, FixedCount: t.FixedCount}
		for _, sel := range selected {
			uc.Selected = uc.Selected || sel.Name == t.Name
		}
		s.UserClasses = append(s.UserClasses, uc)
	}
	if c.master != nil {
		s.IsMaster = true
		s.Workers = webWorkers(c.master.Workers())
		if len(c.types) == 0 { // a master without the test's code: the classes its workers run
			for _, cl := range c.master.Classes() {
				s.UserClasses = append(s.UserClasses, web.UserClass{Name: cl.Name, Weight: cl.Weight,
					FixedCount: cl.FixedCount, Selected: true})
			}
		}
	}
	return s
}

// Snapshot is the current test's statistics as of the last tick; once it
// stopped, as of its stop.
func (c *Controller) Snapshot() *stats.Snapshot {
	c.mu.Lock()
	run := c.run
	c.mu.Unlock()
	now := time.Now()
	if run == nil {
		return stats.New(now, stats.Options{Shards: 1}).Snapshot(now, 0)
	}
	c.mu.Lock()
	stopped, users := run.stopped, run.finalUsers
	c.mu.Unlock()
	if !stopped.IsZero() {
		return run.stats.Snapshot(stopped, users)
	}
	return run.stats.Snapshot(now, run.eng.users())
}

// History is the current test's per-second total rows.
func (c *Controller) History() []stats.HistoryRow {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil {
		return nil
	}
	// Rows never change once appended, so the caller may share them.
	h := c.run.history
	return h[:len(h):len(h)]
}

// Thresholds are the current test's live threshold results; once the test
// stopped, its final verdicts.
func (c *Controller) Thresholds() []threshold.Result {
	c.mu.Lock()
	run, stopped := c.run, c.state == Stopped
	c.mu.Unlock()
	if run == nil || run.th == nil {
		return nil
	}
	if stopped {
		return run.th.final()
	}
	return run.th.results()
}

// TaskRatio is the task ratio of the current test's user mix.
func (c *Controller) TaskRatio() report.TaskRatio {
	c.mu.Lock()
	types := c.picked
	var counts map[string]int
	if c.run != nil {
		types = c.run.types
		counts = c.run.eng.counts()
	}
	c.mu.Unlock()
	if c.opts.TaskRatio == nil {
		return report.TaskRatio{}
	}
	return c.opts.TaskRatio(typeNames(types), counts)
}

// FullHistoryCSV is the --csv-full-history file, if any.
func (c *Controller) FullHistoryCSV() string {
	if c.csv == nil || !c.cfg.CSVFullHistory {
		return ""
	}
	return c.cfg.CSVPrefix + "_stats_history.csv"
}
