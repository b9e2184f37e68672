package herd

import (
	"errors"
	"time"

	"github.com/herdload/herd/internal/cluster"
)

// The open model on a cluster: the master owns the rate and gives each
// herd worker its exact share of the one schedule (internal/cluster,
// open.go); each worker runs its share with runner.startOpen from the
// shared start instant.

var _ cluster.OpenLocal = (*workerLocal)(nil)

// StartOpen runs this worker's share of an open-model run.
func (w *workerLocal) StartOpen(s cluster.OpenShare, host string, stopTimeout time.Duration, end func()) error {
	sched, err := cluster.NewSchedule(s)
	if err != nil {
		return err
	}
	w.mu.Lock()
	if w.run != nil {
		w.mu.Unlock()
		return errors.New("a test is already running on this worker")
	}
	r, err := w.newRunLocked(host, stopTimeout)
	if err == nil {
		w.sched = sched
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return r.startOpen(openOptions{next: sched.Next, start: s.Start, pool: s.Pool, maxUsers: s.MaxUsers,
		maxLate: s.MaxLate, onEnd: end})
}

// Reshare switches the running share to s from s.From on.
func (w *workerLocal) Reshare(s cluster.OpenShare) {
	w.mu.Lock()
	sched := w.sched
	w.mu.Unlock()
	if sched == nil {
		return
	}
	if late, err := sched.Reshare(s); err != nil {
		w.c.log.Error("cannot change the share of the arrival rate", "err", err)
	} else if late {
		w.c.log.Warn("the new share of the arrival rate came after its start: an iteration of the old share past it may run twice or not at all",
			"from", s.From)
	}
}
