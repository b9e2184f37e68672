package herd

import (
	"time"

	"github.com/herdload/herd/internal/cluster"
)

// engine runs a test's users: the local runner, or, on a master, the
// workers. The controller drives either the same way.
type engine interface {
	// start ramps to target users at rate per second; onDone runs when the
	// target is reached. A second call changes the target.
	start(target int, rate float64, onDone func(users int))
	// stop stops every user and returns how many did not stop in time.
	stop(grace time.Duration) int
	userCount() int
	countsByType() map[string]int
	// stopTestRequested is closed when the test must end on its own: a
	// task returned ErrStopTest, or a master lost its last worker.
	stopTestRequested() <-chan struct{}
	// restrict runs only the named user types from the next change on
	// (every type when names is empty).
	restrict(names []string) error
	// startArrivals runs the test in the open model (--arrival-rate).
	startArrivals(p cluster.OpenPlan, onEnd func()) error
}

var (
	_ engine = (*runner)(nil)
	_ engine = (*masterEngine)(nil)
)

// masterEngine runs a test on the workers of a cluster master.
type masterEngine struct {
	m           *cluster.Master
	host        string
	stopTimeout time.Duration
	onError     func(error)
}

func (e *masterEngine) start(target int, rate float64, onDone func(int)) {
	if err := e.m.Start(target, rate, e.host, e.stopTimeout, onDone); err != nil {
		e.onError(err)
	}
}

func (e *masterEngine) stop(grace time.Duration) int       { return e.m.Stop(grace) }
func (e *masterEngine) userCount() int                     { return e.m.UserCount() }
func (e *masterEngine) countsByType() map[string]int       { return e.m.CountsByType() }
func (e *masterEngine) stopTestRequested() <-chan struct{} { return e.m.AllGone() }

func (e *masterEngine) restrict(names []string) error { e.m.Restrict(names); return nil }

// startArrivals gives each worker its exact share of the schedule.
func (e *masterEngine) startArrivals(p cluster.OpenPlan, onEnd func()) error {
	return e.m.StartOpen(p, e.host, e.stopTimeout, onEnd)
}
