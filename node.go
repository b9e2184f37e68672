package herd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/control"
	"github.com/herdload/herd/internal/wire"
)

// Role is a process's part in a run.
type Role string

// The roles.
const (
	Standalone Role = "standalone" // no master, no workers
	Master     Role = "master"
	Worker     Role = "worker"
)

// Node is this process's handle on its run, Locust's environment.runner:
// its role, a worker's index, custom messages between the master and its
// workers, and the runner's side: live statistics, the test's state and
// user counts, a master's workers, stopping the test and changing its
// user count. Tasks and event listeners reach it with NodeFrom.
type Node struct {
	role  Role
	index atomic.Int64        // a worker's, -1 until its master accepted it
	ctl   *control.Controller // the run's; nil outside a run (set before it starts)
	// sendUp sends to the master (workers, set once connected); sendDown
	// to workers (master).
	mu       sync.Mutex
	sendUp   func(typ string, data any) error
	sendDown func(typ string, data any, to string) error
	// options are the values of the test's own options (options.go).
	options optionValues
}

func (n *Node) setSendUp(fn func(typ string, data any) error) {
	n.mu.Lock()
	n.sendUp = fn
	n.mu.Unlock()
}

type nodeKey struct{}

// newNode is the node of a process run with cfg.
func newNode(cfg config.Config) *Node {
	n := &Node{role: Standalone}
	switch {
	case cfg.Worker:
		n.role = Worker
	case cfg.Master || cfg.Processes != 0:
		n.role = Master
	}
	n.index.Store(-1)
	n.setOptions(cfg.Custom)
	return n
}

func withNode(ctx context.Context, n *Node) context.Context {
	return context.WithValue(ctx, nodeKey{}, n)
}

// NodeFrom returns the node of the run ctx belongs to (a task's context, or
// an event listener's). Outside a run it is a standalone node that cannot
// send messages.
func NodeFrom(ctx context.Context) *Node {
	if env := envFrom(ctx); env != nil && env.node != nil {
		return env.node
	}
	if n, ok := ctx.Value(nodeKey{}).(*Node); ok {
		return n
	}
	n := &Node{role: Standalone}
	n.index.Store(-1)
	return n
}

// Role is this process's role.
func (n *Node) Role() Role { return n.role }

// WorkerIndex is a worker's index, given by the master when the worker
// registered (0, 1, …, stable for the master's life), or -1.
func (n *Node) WorkerIndex() int {
	if n.role != Worker {
		return -1
	}
	return int(n.index.Load())
}

// ErrNotDistributed is returned when a message has nowhere to go.
var ErrNotDistributed = errors.New("herd: not part of a distributed run")

// SendToMaster sends a custom message from a worker to its master, where
// OnMessage listeners for typ receive it. data is what Locust's msgpack
// carries: nil, bools, numbers, strings, []byte, []any, []string, []int,
// []int64, []float64, and maps with string keys (map[string]any,
// map[string]string, map[string]int, …) or map[any]any, nested in []any
// and map[string]any; other types (a []map[string]any, a struct) are an
// error.
func (n *Node) SendToMaster(typ string, data any) error {
	n.mu.Lock()
	send := n.sendUp
	n.mu.Unlock()
	if n.role != Worker || send == nil {
		return fmt.Errorf("SendToMaster on a %s node: %w", n.role, ErrNotDistributed)
	}
	return send(typ, data)
}

// SendToWorkers sends a custom message from the master to the named
// workers (by node id, see Workers), or to every worker when none is
// named. data takes the types SendToMaster's does.
func (n *Node) SendToWorkers(typ string, data any, workers ...string) error {
	n.mu.Lock()
	send := n.sendDown
	n.mu.Unlock()
	if n.role != Master || send == nil {
		return fmt.Errorf("SendToWorkers on a %s node: %w", n.role, ErrNotDistributed)
	}
	// The master's sockets queue what they send and cannot say: an
	// encoding error shows here, or not at all.
	if _, err := wire.EncodeValue(data); err != nil {
		return fmt.Errorf("SendToWorkers %q: %w", typ, err)
	}
	if len(workers) == 0 {
		return send(typ, data, "")
	}
	var errs []error
	for _, w := range workers {
		errs = append(errs, send(typ, data, w))
	}
	return errors.Join(errs...)
}

// Message is a custom message between the master and its workers.
type Message struct {
	Type string
	// Data is what the sender gave, as msgpack carried it: maps become
	// map[string]any (map[any]any when a key is not a string), slices
	// []any, and every number an int64 or a float64, whatever width the
	// sender encoded it with (a uint64 above the int64 range stays one).
	Data any
	// From is the sending worker's node id on the master, "" on a worker.
	From string
}

// OnMessage registers a listener for custom messages of type typ (sent
// with Node.SendToMaster or Node.SendToWorkers). It runs on the process's
// message loop: hand long work to a goroutine.
func (e *Events) OnMessage(typ string, fn func(ctx context.Context, m Message)) {
	if e.messages == nil {
		e.messages = map[string][]func(context.Context, Message){}
	}
	e.messages[typ] = append(e.messages[typ], fn)
}

// OnReportToMaster lets a worker add custom data to each statistics report
// it sends (every 3 s); the master's OnWorkerReport listeners receive it.
// Keys must not be "stats", "stats_total", "errors", "user_classes_count",
// "user_count" or "herd".
func (e *Events) OnReportToMaster(fn func(ctx context.Context, data map[string]any)) {
	e.reportToMaster = append(e.reportToMaster, fn)
}

// OnWorkerReport receives, on the master, the custom data of each worker
// report (see OnReportToMaster), its numbers int64 or float64 as in
// Message.Data.
func (e *Events) OnWorkerReport(fn func(ctx context.Context, worker string, data map[string]any)) {
	e.workerReport = append(e.workerReport, fn)
}

func (e *Events) deliver(ctx context.Context, m Message) {
	for _, fn := range e.messages[m.Type] {
		fn(ctx, m)
	}
}
