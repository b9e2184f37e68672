package herd

import (
	"context"
	"fmt"
)

// Events are the hooks of a run. Register listeners before the run starts;
// they are called synchronously, in registration order.
type Events struct {
	init             []func(context.Context, *RunInfo) error
	testStart        []func(context.Context) error
	testStopping     []func(context.Context)
	testStop         []func(context.Context)
	resetStats       []func(context.Context)
	cpuWarning       []func(context.Context, float64)
	request          []func(Request)
	userError        []func(UserError)
	spawningComplete []func(users int)
	quitting         []func(*Quit)
	messages         map[string][]func(context.Context, Message)
	reportToMaster   []func(context.Context, map[string]any)
	workerReport     []func(context.Context, string, map[string]any)
	workerChange     []func(context.Context, WorkerChange)
}

// RunInfo is the resolved configuration a run starts with.
type RunInfo struct {
	Host      string   // -H/--host, "" when each user type uses its own
	Users     int      // target user count
	SpawnRate float64  // users started (or stopped) per second
	UserTypes []string // the user types that run
}

// UserError is an error or panic raised by user code (a task, OnStart,
// OnStop) that herd caught and counted, as OnUserError listeners get it.
// It is an error itself, wrapping Err: errors.Is and errors.As see through
// it.
type UserError struct {
	UserType string
	Task     string // "OnStart", "OnStop" or the task's name
	Err      error  // what the code returned; for a panic, "panic: " and its value
	Panic    bool
	Stack    string // the panic's stack, "" for a returned error
}

// Error is "<user type>.<task>: <error>", as the error table's origin
// reads.
func (e UserError) Error() string {
	return fmt.Sprintf("%s.%s: %v", e.UserType, e.Task, e.Err)
}

// Unwrap returns Err.
func (e UserError) Unwrap() error { return e.Err }

// Quit is passed to quitting listeners at the very end, after the final
// statistics are known; a listener may change the exit code. Every node
// quits, as in Locust: a master or a standalone process with the run's
// statistics, each worker with its own.
type Quit struct {
	Stats    *StatsSnapshot // the whole run's final statistics (a worker's own: see Node.Stats)
	ExitCode int
	Node     *Node // the quitting process's: Node.Role tells a master from a worker
}

// OnInit runs after the configuration is resolved and before any user
// starts. An error aborts the run (exit code 3).
func (e *Events) OnInit(fn func(ctx context.Context, info *RunInfo) error) {
	e.init = append(e.init, fn)
}

// OnTestStart runs when the test starts, before the first user. An error
// aborts the run (exit code 3): use it for set-up the test needs.
func (e *Events) OnTestStart(fn func(ctx context.Context) error) {
	e.testStart = append(e.testStart, fn)
}

// OnTestStopping runs when the test begins to stop, before its users are
// told to (Locust's test_stopping): then each user's OnStop runs, then
// OnTestStop. On a master it runs before the workers are told, on each
// worker before its users.
func (e *Events) OnTestStopping(fn func(ctx context.Context)) {
	e.testStopping = append(e.testStopping, fn)
}

// OnTestStop runs when the test stops, after every user stopped.
func (e *Events) OnTestStop(fn func(ctx context.Context)) { e.testStop = append(e.testStop, fn) }

// OnResetStats runs when the web UI's "Reset stats" is used, just before
// the statistics are reset (Locust's reset_stats). --reset-stats, which
// resets them once all users spawned, does not run it, as in Locust.
func (e *Events) OnResetStats(fn func(ctx context.Context)) { e.resetStats = append(e.resetStats, fn) }

// OnCPUWarning runs while herd's own CPU use is above 90% of the cores it
// may use, at most every 5 seconds (Locust's cpu_warning), with that use
// in percent: past it, response times include herd's own queueing. It runs
// on every node that measures it (a master, each worker), on a goroutine
// of its own, so a listener may change the user count (NodeFrom(ctx)).
func (e *Events) OnCPUWarning(fn func(ctx context.Context, percent float64)) {
	e.cpuWarning = append(e.cpuWarning, fn)
}

// OnRequest runs for every recorded request, on the user's goroutine: keep
// it fast, it is on the hot path.
func (e *Events) OnRequest(fn func(Request)) { e.request = append(e.request, fn) }

// OnUserError runs for every error or panic raised by user code.
func (e *Events) OnUserError(fn func(UserError)) { e.userError = append(e.userError, fn) }

// OnSpawningComplete runs each time the user count reaches its target.
func (e *Events) OnSpawningComplete(fn func(users int)) {
	e.spawningComplete = append(e.spawningComplete, fn)
}

// OnQuitting runs last, with the final statistics; it may set the exit
// code. It runs on every node: a worker's has the worker's own statistics.
func (e *Events) OnQuitting(fn func(q *Quit)) { e.quitting = append(e.quitting, fn) }

// WorkerChangeKind says what happened to a master's worker.
type WorkerChangeKind string

// The changes of a master's workers, as OnWorkerChange listeners get them.
const (
	// WorkerConnected: the worker registered (its client_ready was
	// answered); Locust logs "Worker … reported as ready".
	WorkerConnected WorkerChangeKind = "connected"
	// WorkerMissing: no heartbeat for --heartbeat-liveness seconds; its
	// users no longer count (Locust's "missing" state).
	WorkerMissing WorkerChangeKind = "missing"
	// WorkerBack: a missing worker's heartbeats came back.
	WorkerBack WorkerChangeKind = "back"
	// WorkerLeft: the worker quit, or was removed after missing too long.
	WorkerLeft WorkerChangeKind = "left"
)

// WorkerChange is a change of a master's workers.
type WorkerChange struct {
	Kind WorkerChangeKind
	// Worker is the worker as the master sees it now (as it was last
	// seen, for WorkerLeft).
	Worker WorkerInfo
}

// OnWorkerChange runs on a master when a worker connects, goes missing,
// comes back or leaves (Locust has no event for these; its master logs
// them). The master looks at its workers once a second, on its life
// loop's tick, where it also finds missing heartbeats, as Locust's master
// does: a listener hears of a change at most about a second after it
// (one second's changes by worker index, departures last), on a goroutine
// that runs listeners one after the other (so it may call Node.SetUsers
// or Node.StopTest). Node.Workers already reflects the change. A worker
// that leaves and comes back within one second may go unnoticed.
func (e *Events) OnWorkerChange(fn func(ctx context.Context, ch WorkerChange)) {
	e.workerChange = append(e.workerChange, fn)
}
