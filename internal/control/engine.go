package control

import (
	"fmt"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// Type is one user type of the test as the orchestration sees it: what the
// dispatcher, the host checks and the start form need. The user code
// behind it stays with the engine.
type Type struct {
	Name       string
	Weight     int // share among weighted types; 0 with no FixedCount weighs 1
	FixedCount int // runs exactly this many, started first
	// Host is the type's own base URL ("" for none): -H or the start form
	// override it.
	Host string
	// NeedsHost is set for types whose users send HTTP requests relative
	// to a base URL.
	NeedsHost bool
}

// LocalSpec is what one test's users on this process run against.
type LocalSpec struct {
	// Types are the types that may run, with hosts resolved.
	Types []Type
	// Stats receives every request the users record.
	Stats       *stats.Stats
	StopTimeout time.Duration
}

// Local runs a test's users on this process: the root package's runner.
// Every method is safe for concurrent use.
type Local interface {
	// Ramp moves from the current user count to target at rate users a
	// second (0 or less: at once), replacing any ramp in progress; done runs
	// on the engine's goroutine when the target is reached.
	Ramp(target int, rate float64, done func(users int))
	// SetCounts runs exactly counts[type] users of each type at once (a
	// worker following its master); types not named run none.
	SetCounts(counts map[string]int)
	// StartOpen runs the test in the open model.
	StartOpen(o OpenOptions) error
	// Restrict runs only the named types from the next change on (every
	// type when names is empty).
	Restrict(names []string) error
	// Stop stops every user (they finish their task, and are killed after
	// the stop timeout) and waits for them at most the stop timeout plus
	// grace; it returns how many did not stop. It is idempotent.
	Stop(grace time.Duration) (left int)
	Users() int
	Counts() map[string]int
	// StopTestRequested is closed when a task returned herd.ErrStopTest.
	StopTestRequested() <-chan struct{}
}

// OpenOptions configure an open-model run on one process.
type OpenOptions struct {
	// Next returns the next iteration's intended start as an offset from
	// Start, in increasing order; false ends the schedule.
	Next func() (time.Duration, bool)
	// Start is the schedule's time zero; zero means once the pool is ready.
	Start    time.Time
	Pool     int           // users started up front
	MaxUsers int           // the pool may grow to this many (≥ Pool)
	MaxLate  time.Duration // queued iterations later than this are dropped
	// Quantum: the dispatcher wakes at most once per quantum and starts
	// every iteration due by then; 0 starts each at its own instant.
	Quantum time.Duration
	OnEnd   func() // the schedule is over and its iterations ran
}

// engine runs one test's users: a Local on this process, or, on a master,
// the workers. A test drives either the same way.
type engine interface {
	ramp(target int, rate float64, done func(users int)) error
	startArrivals(p openPlan, onEnd func()) error
	restrict(names []string) error
	// stop stops every user and returns how many did not stop in time.
	stop(grace time.Duration) int
	users() int
	counts() map[string]int
	// ended is closed when the engine ends the test on its own, for
	// reason: a task returned herd.ErrStopTest, or a master's last worker
	// left.
	ended() (done <-chan struct{}, reason Reason)
}

// localEngine runs a test on this process's Local.
type localEngine struct{ l Local }

func (e localEngine) ramp(target int, rate float64, done func(int)) error {
	e.l.Ramp(target, rate, done)
	return nil
}

func (e localEngine) startArrivals(p openPlan, onEnd func()) error {
	arr := p.arrivals()
	return e.l.StartOpen(OpenOptions{Next: arr.Next, Pool: p.pool, MaxUsers: p.maxUsers, MaxLate: p.maxLate,
		Quantum: p.quantum, OnEnd: onEnd})
}

func (e localEngine) restrict(names []string) error {
	if err := e.l.Restrict(names); err != nil {
		return fmt.Errorf("user types %v: %w", names, err)
	}
	return nil
}

func (e localEngine) stop(grace time.Duration) int { return e.l.Stop(grace) }
func (e localEngine) users() int                   { return e.l.Users() }
func (e localEngine) counts() map[string]int       { return e.l.Counts() }

func (e localEngine) ended() (<-chan struct{}, Reason) {
	return e.l.StopTestRequested(), TestStopped
}
