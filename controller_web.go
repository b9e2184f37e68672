package herd

import (
	"context"
	"errors"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/web"
)

// errListener marks a test start refused by an OnTestStart listener.
var errListener = errors.New("test start listener failed")

// The controller is what the web UI drives.
var _ web.Controller = (*controller)(nil)

// Swarm starts a test, or changes the running one.
func (c *controller) Swarm(req web.SwarmRequest) error {
	c.swarmMu.Lock()
	defer c.swarmMu.Unlock()
	c.mu.Lock()
	run, state := c.run, c.state
	c.mu.Unlock()
	switch state {
	case web.StateSpawning, web.StateRunning:
		c.change(run, req)
		return nil
	case web.StateStopping:
		return errors.New("the test is stopping: start a new one when it has stopped")
	}
	return c.start(context.Background(), req)
}

// Stop stops the running test in the background.
func (c *controller) Stop() {
	go c.stopFromUI("stopped from the web UI")
}

// stopFromUI stops the test and, with --autoquit, quits the process a
// while later.
func (c *controller) stopFromUI(reason string) {
	c.swarmMu.Lock()
	defer c.swarmMu.Unlock()
	c.stop(reason)
	if c.cfg.Autoquit >= 0 {
		c.autoquitAfter(time.Duration(c.cfg.Autoquit) * time.Second)
	}
}

// ResetStats drops the current test's statistics and history.
func (c *controller) ResetStats() {
	c.mu.Lock()
	run := c.run
	c.mu.Unlock()
	if run == nil {
		return
	}
	run.stats.Reset(time.Now())
	c.mu.Lock()
	run.history = nil
	c.mu.Unlock()
}

// Status describes the current test.
func (c *controller) Status() web.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := web.Status{
		State:       c.state,
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
	if c.cfg.ArrivalRate != nil {
		s.ArrivalRate = c.cfg.ArrivalRate.String()
	}
	if s.Host == "" {
		s.Host = c.demoURL
	}
	selected := c.picked
	if run := c.run; run != nil {
		s.Users = run.runner.userCount()
		s.TargetUsers, s.SpawnRate, s.RunTime = run.target, run.rate, run.runTime
		s.Host, s.StartedAt, s.StoppedAt, s.Deadline = run.host, run.started, run.stopped, run.deadline
		if s.Host == "" {
			s.Host = c.demoURL
		}
		selected = run.types
	}
	if s.ArrivalRate != "" { // the pool's effective cap: --max-users, or the pool itself
		s.MaxUsers = max(s.MaxUsers, s.TargetUsers)
	}
	for _, ut := range c.all {
		uc := web.UserClass{Name: ut.Name, Weight: ut.Weight, FixedCount: ut.FixedCount}
		for _, sel := range selected {
			uc.Selected = uc.Selected || sel.Name == ut.Name
		}
		s.UserClasses = append(s.UserClasses, uc)
	}
	if c.master != nil {
		s.IsMaster = true
		s.Workers = []web.WorkerInfo{}
		for _, w := range c.master.Workers() {
			s.Workers = append(s.Workers, web.WorkerInfo{ID: w.ID, Index: w.Index, State: w.State,
				Users: w.Users, CPU: w.CPU, Memory: w.Memory})
		}
		if len(c.all) == 0 { // a master without the test's code: the classes its workers run
			for _, cl := range c.master.Classes() {
				s.UserClasses = append(s.UserClasses, web.UserClass{Name: cl.Name, Weight: cl.Weight,
					FixedCount: cl.FixedCount, Selected: true})
			}
		}
	}
	return s
}

// Snapshot is the current test's statistics as of the last tick.
func (c *controller) Snapshot() *stats.Snapshot {
	c.mu.Lock()
	run := c.run
	c.mu.Unlock()
	if run == nil {
		now := time.Now()
		return stats.New(now, stats.Options{Shards: 1}).Snapshot(now, 0)
	}
	now := time.Now()
	if !run.stopped.IsZero() {
		now = run.stopped
	}
	return run.stats.Snapshot(now, run.runner.userCount())
}

// History is the current test's per-second total rows.
func (c *controller) History() []stats.HistoryRow {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == nil {
		return nil
	}
	// Rows never change once appended, so the caller may share them.
	h := c.run.history
	return h[:len(h):len(h)]
}

// TaskRatio is the task ratio of the current test's user mix.
func (c *controller) TaskRatio() web.TaskRatio {
	c.mu.Lock()
	types := c.picked
	var counts map[string]int
	if c.run != nil {
		types = c.run.types
		counts = c.run.runner.countsByType()
	}
	c.mu.Unlock()
	return taskRatio(types, counts, c.cfg.Tags, c.cfg.ExcludeTags)
}

// FullHistoryCSV is the --csv-full-history file, if any.
func (c *controller) FullHistoryCSV() string {
	if c.csv == nil || !c.cfg.CSVFullHistory {
		return ""
	}
	return c.cfg.CSVPrefix + "_stats_history.csv"
}
