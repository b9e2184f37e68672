package herd

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// User is one simulated user. herd makes a new value with UserType.New for
// every user it starts and calls Tasks once, before OnStart, so the tasks
// may be closures over the user's own state.
//
// A user may also implement OnStart and OnStop:
//
//	OnStart(ctx context.Context) error // runs once, before the first task
//	OnStop(ctx context.Context) error  // runs once, when the user stops
type User interface {
	Tasks() []Task
}

type onStarter interface {
	OnStart(ctx context.Context) error
}

type onStopper interface {
	OnStop(ctx context.Context) error
}

// UserType describes one kind of simulated user.
type UserType struct {
	// Name shows in listings and selects the type on the command line.
	Name string
	// New returns a fresh user. It should be cheap and have no side
	// effects: herd also calls it to list tasks (-l, --show-task-ratio).
	New func() User
	// Weight is this type's share of the users among weighted types
	// (default 1). Ignored when FixedCount is set.
	Weight int
	// FixedCount, when positive, runs exactly this many users of this type
	// (started before the weighted types), whatever the total.
	FixedCount int
	// Host is this type's base URL; -H/--host overrides it.
	Host string
	// Wait is the pause after each task; nil means no pause.
	Wait WaitTime
}

// Task is one thing a user does. Exactly one of Run and Set is set.
type Task struct {
	// Name shows in task ratios and error tables; by default it is the
	// function's name.
	Name string
	// Weight is how often the task is picked relative to its siblings
	// (default 1).
	Weight int
	// Tags select tasks with -T/--tags and -E/--exclude-tags.
	Tags []string
	// Run does the work. Returning an error counts it in the error table
	// (unless it is a request failure already counted, or one of the
	// control errors such as ErrStopUser); the user carries on.
	Run func(ctx context.Context) error
	// Set makes this task a nested task set: picking the task runs the set
	// until one of its tasks returns ErrInterrupt.
	Set *TaskSet
}

// TaskSet groups tasks that run together, like Locust's TaskSet and
// SequentialTaskSet.
type TaskSet struct {
	Tasks []Task
	// Sequential runs the tasks in order, over and over, instead of
	// picking them by weight.
	Sequential bool
	// Wait overrides the user's wait time inside the set when not nil.
	Wait WaitTime
	// OnStart runs every time the set is entered, OnStop every time it is
	// left.
	OnStart func(ctx context.Context) error
	OnStop  func(ctx context.Context) error
}

// Errors a task returns to steer its user. They may be wrapped.
var (
	// ErrStopUser stops this user for good: OnStop runs and it is not
	// replaced.
	ErrStopUser = errors.New("herd: stop user")
	// ErrReschedule skips the wait and picks the next task at once.
	ErrReschedule = errors.New("herd: reschedule")
	// ErrInterrupt leaves the current task set; the parent picks its next
	// task at once. At the top level it acts as ErrReschedule.
	ErrInterrupt = errors.New("herd: interrupt task set")
	// ErrStopTest stops the whole test gracefully, as the end of the run
	// time does.
	ErrStopTest = errors.New("herd: stop test")
)

// taskName is a task's display name: its Name, else its function's.
func taskName(t *Task) string {
	if t.Name != "" {
		return t.Name
	}
	var fn any = t.Run
	if t.Run == nil {
		if t.Set == nil {
			return "(empty task)"
		}
		fn = nil
		if len(t.Set.Tasks) > 0 {
			return "TaskSet(" + taskName(&t.Set.Tasks[0]) + ", …)"
		}
		return "TaskSet"
	}
	return funcName(fn)
}

// funcName turns "main.(*Shopper).home-fm" into "Shopper.home".
func funcName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return "?"
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "?"
	}
	name := f.Name()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, "-fm")
	name = strings.NewReplacer("(*", "", ")", "").Replace(name)
	return name
}

// checkTasks reports structural mistakes in a task list.
func checkTasks(where string, tasks []Task) error {
	var errs []error
	for i := range tasks {
		t := &tasks[i]
		switch {
		case t.Run == nil && t.Set == nil:
			errs = append(errs, fmt.Errorf("%s: task %d (%s) has neither Run nor Set", where, i, taskName(t)))
		case t.Run != nil && t.Set != nil:
			errs = append(errs, fmt.Errorf("%s: task %d (%s) has both Run and Set", where, i, taskName(t)))
		case t.Weight < 0:
			errs = append(errs, fmt.Errorf("%s: task %s has negative weight %d", where, taskName(t), t.Weight))
		case t.Set != nil:
			if len(t.Set.Tasks) == 0 {
				errs = append(errs, fmt.Errorf("%s: task set %s has no tasks", where, taskName(t)))
			}
			errs = append(errs, checkTasks(where+" > "+taskName(t), t.Set.Tasks))
		}
	}
	return errors.Join(errs...)
}

// TaskList adapts a function to the User interface, for users that need no
// type of their own (and for tests).
type TaskList func() []Task

// Tasks calls the function.
func (f TaskList) Tasks() []Task { return f() }
