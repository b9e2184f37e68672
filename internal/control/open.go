package control

import (
	"cmp"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd/internal/cluster"
	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/shape"
)

// openPlan is the open model (--arrival-rate) as the options give it; a
// test's pool and seed complete it.
type openPlan struct {
	rate     shape.Rate
	spec     string
	poisson  bool
	seed     uint64
	pool     int
	maxUsers int
	maxLate  time.Duration
	quantum  time.Duration // this process's --arrival-quantum
}

// newOpenPlan is the open model of cfg, nil in the closed model.
func newOpenPlan(cfg config.Config) *openPlan {
	if cfg.ArrivalRate == nil {
		return nil
	}
	return &openPlan{rate: *cfg.ArrivalRate, spec: cfg.ArrivalRate.String(), poisson: cfg.Poisson,
		maxUsers: cfg.MaxUsers, maxLate: cfg.MaxLateness, quantum: cfg.ArrivalQuantum}
}

// arrivals is the plan's whole schedule.
func (p openPlan) arrivals() *shape.Arrivals { return shape.NewArrivals(p.rate, p.poisson, p.seed) }

// cluster is the plan as a master hands it out.
func (p openPlan) cluster() cluster.OpenPlan {
	return cluster.OpenPlan{Rate: p.spec, Poisson: p.poisson, Seed: p.seed, Pool: p.pool, MaxUsers: p.maxUsers, MaxLate: p.maxLate}
}

// startOpen starts run in the open model with a pool of run.target users:
// on this process, or shared over a master's workers (the pool and
// --max-users are then split over them).
func (c *Controller) startOpen(run *testRun) error {
	p := *c.open
	p.seed, p.pool = rand.Uint64(), run.target
	p.maxUsers = max(cmp.Or(p.maxUsers, p.pool), p.pool)
	attrs := []any{"rate", p.spec, "arrivals", map[bool]string{false: "uniform", true: "poisson"}[p.poisson],
		"pool", p.pool, "max_users", p.maxUsers, "seed", p.seed}
	msg := "open model: starting iterations at the arrival rate"
	if c.master != nil {
		msg = "open model: the workers share the arrival rate"
		attrs = append(attrs, "workers", c.master.ActiveWorkers())
	}
	c.log.Info(msg, attrs...)
	return run.eng.startArrivals(p, func() { c.post(event{run: run, kind: evScheduleDone}) })
}
