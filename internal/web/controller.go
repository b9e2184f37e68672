package web

import (
	"github.com/herdload/herd/internal/report"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// Controller is the test the web UI drives. The root package implements it
// around its runner; tests use a fake. Every method is safe for concurrent
// use and returns quickly (no method waits for users to stop).
type Controller interface {
	// Swarm starts a test, or, while one runs, changes its user count and
	// spawn rate (and, if given, its run time). An error is the user's
	// mistake (bad host, unknown class) and is shown to them as is.
	Swarm(req SwarmRequest) error
	// Stop stops the running test gracefully; a no-op when none runs.
	Stop()
	// ResetStats drops the statistics (and errors) collected so far.
	ResetStats()
	// Status is the test's state for the status bar and the start form.
	Status() Status
	// Snapshot is the current statistics (as of the last second).
	Snapshot() *stats.Snapshot
	// History is the total's per-second history of the current test, full
	// resolution, oldest first. The web layer downsamples it.
	History() []stats.HistoryRow
	// TaskRatio is how often each task runs, per user class and in total.
	TaskRatio() TaskRatio
	// FullHistoryCSV is the path of the --csv-full-history file, "" when
	// there is none.
	FullHistoryCSV() string
	// Thresholds is the live evaluation of the --threshold conditions, in
	// the order given (as of the last second; the final verdict once the
	// test ended); empty when none are configured.
	Thresholds() []threshold.Result
}

// SwarmRequest is the start form (or Locust's /swarm form).
type SwarmRequest struct {
	Users       int
	SpawnRate   float64
	Host        string        // "" keeps the current host
	RunTime     time.Duration // 0: until stopped
	UserClasses []string      // empty: all (or the running test's)
	// Options are new values of the test's own options (Status.Options)
	// by name, each of its current value's type; set before the start.
	Options map[string]any
}

// States of a test, Locust's names.
const (
	StateReady    = "ready"    // nothing has run yet
	StateSpawning = "spawning" // ramping users up or down
	StateRunning  = "running"  // at the target user count
	StateStopping = "stopping" // users are finishing their tasks
	StateStopped  = "stopped"  // the test ended; its statistics remain
)

// Status describes the test for the status bar and the start form.
type Status struct {
	State       string
	Users       int     // running now
	TargetUsers int     // asked for
	SpawnRate   float64 // users per second
	Host        string
	StartedAt   time.Time     // zero before the first start
	StoppedAt   time.Time     // zero unless stopped
	RunTime     time.Duration // 0: until stopped
	// Deadline is when the run time ends, zero without one.
	Deadline    time.Time
	UserClasses []UserClass
	ClassPicker bool // the start form may choose classes
	// CPUWarning is set while the generator's own CPU use is above 90%.
	CPUWarning bool
	CPUShare   float64 // 0–1 of the usable cores, last second
	// IsMaster is set when this process is a distributed master: its users
	// run on worker processes.
	IsMaster bool
	// Workers are a master's workers (missing ones included), nil when
	// this process is not a master. The web layer sorts them by Index.
	Workers []WorkerInfo
	// Shape names the load shape that drives the user count (its --shape
	// spec, or the Go type of a Test.Shape), "" when none does: the user
	// count and spawn rate of the start form are then ignored.
	Shape string
	// ArrivalRate is the open model's --arrival-rate spec ("200/s",
	// "stages:30s:100,1m:100"), "" in the closed model. In the open model
	// the user count is the pool of users that run the iterations.
	ArrivalRate string
	// MaxUsers bounds the open model's pool (--max-users); 0 means the
	// pool itself (TargetUsers).
	MaxUsers int
	// Options are the test's own options (herd.Test.Options) with their
	// current values, for the start form's custom parameters.
	Options []CustomOption
}

// Worker states as a master reports them: ready, spawning and running are
// Locust's runner states; missing is a worker that stopped sending
// heartbeats.
const (
	WorkerReady    = "ready"
	WorkerSpawning = "spawning"
	WorkerRunning  = "running"
	WorkerMissing  = "missing"
)

// WorkerInfo is one worker of a master, as the workers table shows it.
type WorkerInfo struct {
	ID     string  // the worker's client id (Locust's: hostname_random)
	Index  int     // the worker's index, from 0, in the order it connected
	State  string  // WorkerReady, WorkerSpawning, WorkerRunning or WorkerMissing
	Users  int     // users running on it
	CPU    float64 // percent of the worker's usable cores, 0–100
	Memory int64   // the worker process's memory use in bytes
}

// UserClass is one user type as the start form shows it.
type UserClass struct {
	Name       string
	Weight     int
	FixedCount int
	Selected   bool // runs in the current (or last) test
}

// TaskRatio is Locust's /tasks document: per_class and total ratios.
type TaskRatio = report.TaskRatio

// ClassRatio is the share of one user class (or task) and of its tasks.
type ClassRatio = report.ClassRatio

// CustomOption is one of the test's own options: its long flag name, its
// value (a string, int, float64, bool or time.Duration) and help.
type CustomOption struct {
	Name  string
	Value any
	Help  string
}
