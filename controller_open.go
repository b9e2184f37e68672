package herd

import (
	"cmp"
	"fmt"
	"math/rand/v2"

	"github.com/herdload/herd/internal/shape"
)

// startOpen starts run in the open model (--arrival-rate) with a pool of
// pool users.
func (c *controller) startOpen(run *testRun, pool int) error {
	rate, err := shape.ParseRate(c.cfg.ArrivalRate)
	if err != nil {
		return fmt.Errorf("--arrival-rate: %w", err)
	}
	r, ok := run.runner.(*runner)
	if !ok { // a master: the workers share the rate (distributed_open.go)
		return c.startOpenCluster(run, rate, pool)
	}
	seed := rand.Uint64()
	arr := shape.NewArrivals(rate, c.cfg.Arrivals == "poisson", seed)
	maxUsers := c.cfg.MaxUsers
	if maxUsers == 0 {
		maxUsers = pool
	}
	c.log.Info("open model: starting iterations at the arrival rate", "rate", rate.String(),
		"arrivals", cmp.Or(c.cfg.Arrivals, "uniform"), "pool", pool, "max_users", maxUsers, "seed", seed)
	err = r.startOpen(openOptions{
		next:     arr.Next,
		pool:     pool,
		maxUsers: maxUsers,
		maxLate:  c.cfg.MaxLateness,
		onEnd:    func() { c.endTest(run, "arrival-rate schedule finished") },
	})
	if err != nil {
		return err
	}
	c.spawned(run, pool)
	return nil
}
