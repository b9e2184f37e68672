package control

import "fmt"

// State is where a test is in its life. A process starts Idle; a start
// moves it to Spawning, reaching the target to Running, a change of target
// back to Spawning, a stop to Stopping and then Stopped, from where a new
// start begins again. A start that fails leaves the state as it was.
type State uint8

// The states of a test, in the order a test goes through them.
const (
	Idle     State = iota // nothing has run yet
	Spawning              // ramping users up or down
	Running               // at the target user count
	Stopping              // users are finishing their tasks
	Stopped               // the test ended; its statistics remain
)

// String is Locust's name for the state ("ready" for Idle), which the web
// UI and its JSON show.
func (s State) String() string {
	switch s {
	case Idle:
		return "ready"
	case Spawning:
		return "spawning"
	case Running:
		return "running"
	case Stopping:
		return "stopping"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Active reports whether a test is under way: its users run.
func (s State) Active() bool { return s == Spawning || s == Running }

// next lists the states each state may move to.
var next = [...][]State{
	Idle:     {Spawning},
	Spawning: {Spawning, Running, Stopping},
	Running:  {Spawning, Stopping},
	Stopping: {Stopped},
	Stopped:  {Spawning},
}

// canMove reports whether a test in state from may move to state to.
func canMove(from, to State) bool {
	if int(from) >= len(next) {
		return false
	}
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}
