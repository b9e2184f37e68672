package control

import "fmt"

// Reason is why a test ended.
type Reason uint8

// The ways a test ends.
const (
	NotEnded         Reason = iota
	RunTimeReached          // -t/--run-time passed
	Interrupted             // SIGINT or SIGTERM (Ctrl-C)
	TestStopped             // a task returned herd.ErrStopTest
	ThresholdBroken         // a --threshold with abort failed
	ShapeFinished           // the load shape returned false
	ScheduleFinished        // the arrival-rate schedule ran out
	StoppedFromUI           // the web UI's Stop
	LastWorkerLeft          // a master's last worker quit or went missing
	MasterStopped           // a worker's master told it to stop or quit
	StoppedFromCode         // user code asked to stop (the runner handle's StopTest)
)

// String is the reason as logs give it.
func (r Reason) String() string {
	switch r {
	case NotEnded:
		return "not ended"
	case RunTimeReached:
		return "run time limit reached"
	case Interrupted:
		return "interrupted"
	case TestStopped:
		return "a task stopped the test"
	case ThresholdBroken:
		return "threshold broken"
	case ShapeFinished:
		return "load shape finished"
	case ScheduleFinished:
		return "arrival-rate schedule finished"
	case StoppedFromUI:
		return "stopped from the web UI"
	case LastWorkerLeft:
		return "the last worker left"
	case MasterStopped:
		return "the master stopped the test"
	case StoppedFromCode:
		return "stopped from code"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// End is how a test ended: its reason, and what broke for ThresholdBroken.
type End struct {
	Reason Reason
	Detail string // e.g. the broken threshold; "" when the reason says it all
	// Failed is set when the end itself fails the run: code stopped it
	// with an error (Detail), which exits with --exit-code-on-error.
	Failed bool
}

func (e End) String() string {
	if e.Detail == "" {
		return e.Reason.String()
	}
	return e.Reason.String() + ": " + e.Detail
}
