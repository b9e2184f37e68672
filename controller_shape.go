package herd

import (
	"math"
	"slices"
	"time"

	"github.com/herdload/herd/internal/web"
)

// shapeRate is a spawn rate a runner and a master both accept: a shape's
// "at once" (0 or less) becomes a very high rate.
func shapeRate(r float64) float64 {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 1e9
	}
	return r
}

// shapeAt is what run's shape asks for at elapsed, with a spawn rate both
// engines accept.
func (run *testRun) shapeAt(elapsed time.Duration) (ShapeTick, bool) {
	st, ok := run.shape.Tick(elapsed)
	st.SpawnRate = shapeRate(st.SpawnRate)
	return st, ok
}

// followShape asks run's load shape, once a tick, what to run now, and
// ramps toward it when that changed; a shape that is over ends the test.
func (c *controller) followShape(run *testRun, now time.Time) {
	if run.shape == nil {
		return
	}
	st, ok := run.shapeAt(now.Sub(run.started))
	if !ok {
		c.mu.Lock()
		first := c.run == run && run.shape != nil
		run.shape = nil
		c.mu.Unlock()
		if first {
			go c.endTest(run, "load shape finished")
		}
		return
	}
	c.mu.Lock()
	last := run.lastShape
	changed := st.Users != last.Users || st.SpawnRate != last.SpawnRate ||
		!slices.Equal(st.UserTypes, last.UserTypes)
	if changed {
		run.lastShape = st
		run.target, run.rate = st.Users, st.SpawnRate
		if c.state == web.StateRunning {
			c.state = web.StateSpawning
		}
	}
	c.mu.Unlock()
	if !changed {
		return
	}
	if !slices.Equal(st.UserTypes, last.UserTypes) {
		c.restrictTypes(run.runner, st.UserTypes)
	}
	c.log.Info("load shape", "users", st.Users, "spawn_rate", st.SpawnRate, "user_types", st.UserTypes)
	run.runner.start(st.Users, st.SpawnRate, func(n int) { c.spawned(run, n) })
}

// restrictTypes runs only the named user types from now on (all when
// names is empty), on this process's runner or a master's workers.
func (c *controller) restrictTypes(e engine, names []string) {
	if err := e.restrict(names); err != nil {
		c.log.Warn("load shape: cannot restrict user types", "err", err)
	}
}

// endTest ends a test on its own: the process in headless mode, the test
// alone with the web UI.
func (c *controller) endTest(run *testRun, reason string) {
	if c.cfg.Headless {
		c.requestQuit(reason)
		return
	}
	c.mu.Lock()
	current := c.run == run
	c.mu.Unlock()
	if current {
		c.stopFromUI(reason)
	}
}
