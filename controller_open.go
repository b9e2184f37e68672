package herd

import (
	"math/rand/v2"

	"github.com/herdload/herd/internal/cluster"
)

// startOpen starts run in the open model (--arrival-rate) with a pool of
// pool users: on this process's runner, or shared over a master's workers
// (-u and --max-users are then split over them).
func (c *controller) startOpen(run *testRun, pool int) error {
	maxUsers := c.cfg.MaxUsers
	if maxUsers == 0 {
		maxUsers = pool
	}
	plan := cluster.OpenPlan{Rate: c.cfg.ArrivalRate.String(), Poisson: c.cfg.Poisson, Seed: rand.Uint64(),
		Pool: pool, MaxUsers: max(maxUsers, pool), MaxLate: c.cfg.MaxLateness}
	arrivals := "uniform"
	if plan.Poisson {
		arrivals = "poisson"
	}
	attrs := []any{"rate", plan.Rate, "arrivals", arrivals, "pool", pool,
		"max_users", plan.MaxUsers, "seed", plan.Seed}
	msg := "open model: starting iterations at the arrival rate"
	if c.master != nil {
		msg = "open model: the workers share the arrival rate"
		attrs = append(attrs, "workers", c.master.ActiveWorkers())
	}
	c.log.Info(msg, attrs...)
	if err := run.runner.startArrivals(plan, func() { c.endTest(run, "arrival-rate schedule finished") }); err != nil {
		return err
	}
	c.spawned(run, pool)
	return nil
}
