package herd

import (
	"errors"
	"fmt"

	"github.com/herdload/herd/internal/control"
)

// The runner handle: what a test's code reads of its run and asks of it,
// Locust's environment.runner. It is the Node that NodeFrom returns to
// tasks, event listeners and (through its input) load shapes. Every change
// it asks for goes to the run's life loop as a command, like the web UI's,
// so a test's state only ever changes there.

// State is where a test is in its life, as Node.State reports it.
type State uint8

// The states of a test, in the order a test goes through them. A stopped
// test may be followed by a new one (the web UI's start form).
const (
	StateIdle     State = iota // no test has started yet (Locust's "ready")
	StateSpawning              // users are starting or stopping toward the target
	StateRunning               // the target user count is reached
	StateStopping              // users are finishing their tasks
	StateStopped               // the test ended; its statistics remain
)

// String is Locust's name of the state, as the web UI shows it: "ready",
// "spawning", "running", "stopping" or "stopped".
func (s State) String() string { return control.State(s).String() }

func stateOf(s control.State) State {
	switch s {
	case control.Spawning:
		return StateSpawning
	case control.Running:
		return StateRunning
	case control.Stopping:
		return StateStopping
	case control.Stopped:
		return StateStopped
	}
	return StateIdle
}

// WorkerInfo is one of a master's workers (Node.Workers).
type WorkerInfo struct {
	ID     string  // its node id, for SendToWorkers
	Index  int     // WorkerIndex on that worker
	State  string  // "ready", "spawning" or "running"
	Users  int     // users it reported running
	CPU    float64 // its CPU use, in percent of its cores
	Memory int64   // its memory use, in bytes
}

var errNoRun = errors.New("herd: this node is not part of a run")

// attach gives n the controller of its run.
func (n *Node) attach(c *control.Controller) { n.ctl = c }

// Stats returns the statistics of the current test (or of the last one,
// once it stopped) as of the last second: every endpoint's and the total's
// counts, response times and failure ratio. On a master they are the
// workers' merged reports. On a worker, they are only this worker's own
// requests of its current test, as of its last report to its master
// (every 3 s), counted from the first call on: a worker keeps statistics
// of its own only when asked, as they cost memory for each name (call
// Stats in OnInit to have them all). Each call copies the statistics: ask
// about once a second, not per request. Outside a run it returns nil.
func (n *Node) Stats() *StatsSnapshot {
	if n.ctl == nil {
		return nil
	}
	return newStatsSnapshot(n.ctl.LiveStats())
}

// State is where the current test is. On a worker it is this worker's
// part: spawning from its master's order until it confirmed it, running,
// stopping and stopped.
func (n *Node) State() State {
	if n.ctl == nil {
		return StateIdle
	}
	return stateOf(n.ctl.Live().State)
}

// Users is the number of users running now (on a master, as its workers
// last reported; on a worker, its own): Locust's get_current_user_count().
func (n *Node) Users() int {
	if n.ctl == nil {
		return 0
	}
	return n.ctl.Live().Users
}

// UsersByType is the number of users running now of each user type of
// the test (0 for those not running).
func (n *Node) UsersByType() map[string]int {
	if n.ctl == nil {
		return map[string]int{}
	}
	return n.ctl.Live().Counts
}

// TargetUsers is the user count the current test ramps to or holds
// (Locust's target_user_count); an OnTestStart listener already sees the
// new test's. On a worker, the users its master last gave it.
func (n *Node) TargetUsers() int {
	if n.ctl == nil {
		return 0
	}
	return n.ctl.Live().Target
}

// Workers lists a master's workers that get users, by index (a worker
// missing its heartbeats is left out until it is back): Locust's
// runner.clients. It is nil on other nodes.
func (n *Node) Workers() []WorkerInfo {
	if n.ctl == nil {
		return nil
	}
	ws := n.ctl.Workers()
	if ws == nil {
		return nil
	}
	out := make([]WorkerInfo, len(ws))
	for i, w := range ws {
		out[i] = WorkerInfo{ID: w.ID, Index: w.Index, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory}
	}
	return out
}

// StopTest stops the running test, from a task, an event listener or any
// goroutine of the test program: its users finish their task (see
// --stop-timeout), OnTestStopping and OnTestStop run, and a headless run
// ends with its reports, as after ErrStopTest (with the web UI the test
// stops and the UI stays). err says why: when not nil it is logged, printed
// under the summary, becomes the Result's Reason and fails the run (exit
// code --exit-code-on-error, 1 by default); nil stops the test as a normal
// end. On a worker, this worker stops its users and leaves its master, as
// a Locust worker's runner.quit(). It returns at once and does nothing
// when no test runs.
func (n *Node) StopTest(err error) {
	if n.ctl != nil {
		n.ctl.StopTest(err)
	}
}

// SetUsers changes the running test's user count to users, started or
// stopped at spawnRate users a second (0 or less: at once), as the web
// UI's form does; the state becomes spawning until the count is reached.
// With the web UI and no test running, it starts one (Locust's
// runner.start). A load shape, when the test has one, sets the count again
// on its next change. SetUsers returns once the run's life loop took the
// change, with its refusal if any (a headless run whose test stopped, more
// users than this machine can hold); called from an OnTestStart listener,
// the change waits for the start to finish and a refusal is logged. A
// worker runs what its master gives it: there, SetUsers is an error.
func (n *Node) SetUsers(users int, spawnRate float64) error {
	if n.ctl == nil {
		return errNoRun
	}
	if err := n.ctl.SetUsers(users, spawnRate); err != nil {
		return fmt.Errorf("herd: set users: %w", err)
	}
	return nil
}
