package control

import (
	"cmp"
	"slices"

	"github.com/herdload/herd/internal/cluster"
)

// What a master's listeners hear of its workers (Hooks.WorkerChange).
const (
	WorkerConnected = "connected" // registered (client_ready answered)
	WorkerMissing   = "missing"   // no heartbeat for --heartbeat-liveness ticks
	WorkerBack      = "back"      // a missing worker's heartbeats came back
	WorkerLeft      = "left"      // quit, or removed after missing too long
)

// WorkerChange is one change of a master's workers.
type WorkerChange struct {
	Kind   string // WorkerConnected, WorkerMissing, WorkerBack or WorkerLeft
	Worker Worker // as it is now; as last seen for WorkerLeft
}

// workerChanges compares the workers seen at the last tick (by id) with
// those of now, in index order, and returns what changed: joins, losses
// and returns in now's order, then departures in the last tick's.
func workerChanges(last map[string]cluster.WorkerInfo, now []cluster.WorkerInfo) []WorkerChange {
	var out []WorkerChange
	seen := make(map[string]bool, len(now))
	for _, w := range now {
		seen[w.ID] = true
		prev, known := last[w.ID]
		missing := w.State == WorkerMissing
		switch {
		case !known && !missing:
			out = append(out, WorkerChange{WorkerConnected, asWorker(w)})
		case known && missing && prev.State != WorkerMissing:
			out = append(out, WorkerChange{WorkerMissing, asWorker(w)})
		case known && !missing && prev.State == WorkerMissing:
			out = append(out, WorkerChange{WorkerBack, asWorker(w)})
		}
	}
	var left []cluster.WorkerInfo
	for id, w := range last {
		if !seen[id] {
			left = append(left, w)
		}
	}
	slices.SortFunc(left, func(a, b cluster.WorkerInfo) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
	})
	for _, w := range left {
		out = append(out, WorkerChange{WorkerLeft, asWorker(w)})
	}
	return out
}

func asWorker(w cluster.WorkerInfo) Worker {
	return Worker{ID: w.ID, Index: w.Index, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory}
}

// watchWorkers is the tick's look at a master's workers: what changed
// since the last tick goes to the WorkerChange listeners, in order, on the
// notifier's goroutine. A master notices a missing worker on a tick of its
// own too (Locust's heartbeat check, once a second), so a change reaches
// the listeners at most a second or two after it happened.
func (c *Controller) watchWorkers(t *ticker) {
	h := c.opts.Hooks.WorkerChange
	if h == nil || c.master == nil {
		return
	}
	now := c.master.Workers()
	changes := workerChanges(t.workers, now)
	t.workers = make(map[string]cluster.WorkerInfo, len(now))
	for _, w := range now {
		t.workers[w.ID] = w
	}
	for _, ch := range changes {
		c.notes.post(func() { h(ch) })
	}
}
