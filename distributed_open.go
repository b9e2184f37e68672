package herd

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/shape"
)

// The open model on a cluster: the master owns the rate and gives each
// herd worker its exact share of the one schedule (internal/cluster,
// open.go); each worker runs its share with runner.startOpen from the
// shared start instant.

// startOpenCluster starts run's open model on the master's workers: pool
// (-u) and --max-users are split over them.
func (c *controller) startOpenCluster(run *testRun, rate shape.Rate, pool int) error {
	me, ok := run.runner.(*masterEngine)
	if !ok {
		return errors.New("--arrival-rate: this engine cannot run the open model")
	}
	maxUsers := c.cfg.MaxUsers
	if maxUsers == 0 {
		maxUsers = pool
	}
	plan := cluster.OpenPlan{Rate: rate.String(), Poisson: c.cfg.Arrivals == "poisson", Seed: rand.Uint64(),
		Pool: pool, MaxUsers: max(maxUsers, pool), MaxLate: c.cfg.MaxLateness}
	c.log.Info("open model: the workers share the arrival rate", "rate", rate.String(),
		"arrivals", cmp.Or(c.cfg.Arrivals, "uniform"), "pool", pool, "max_users", plan.MaxUsers, "seed", plan.Seed,
		"workers", c.master.ActiveWorkers())
	if err := me.startOpen(plan, func() { c.endTest(run, "arrival-rate schedule finished") }); err != nil {
		return err
	}
	c.spawned(run, pool)
	return nil
}

// startOpen starts an open-model run on the workers; onEnd runs when the
// schedule is over on every worker.
func (e *masterEngine) startOpen(plan cluster.OpenPlan, onEnd func()) error {
	return e.m.StartOpen(plan, e.host, e.stopTimeout, onEnd)
}

var _ cluster.OpenLocal = (*workerLocal)(nil)

// StartOpen runs this worker's share of an open-model run.
func (w *workerLocal) StartOpen(s cluster.OpenShare, host string, stopTimeout time.Duration, end func()) error {
	sched, err := cluster.NewSchedule(s)
	if err != nil {
		return err
	}
	w.mu.Lock()
	if w.run != nil {
		w.mu.Unlock()
		return errors.New("a test is already running on this worker")
	}
	r, err := w.newRunLocked(host, stopTimeout)
	if err == nil {
		w.sched = sched
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return r.startOpen(openOptions{next: sched.Next, start: s.Start, pool: s.Pool, maxUsers: s.MaxUsers,
		maxLate: s.MaxLate, onEnd: end})
}

// Reshare switches the running share to s from s.From on.
func (w *workerLocal) Reshare(s cluster.OpenShare) {
	w.mu.Lock()
	sched := w.sched
	w.mu.Unlock()
	if sched == nil {
		return
	}
	if late, err := sched.Reshare(s); err != nil {
		w.c.log.Error("cannot change the share of the arrival rate", "err", err)
	} else if late {
		w.c.log.Warn("the new share of the arrival rate came after its start: an iteration of the old share past it may run twice or not at all",
			"from", s.From)
	}
}
