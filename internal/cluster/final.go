package cluster

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// Final reports: which workers still owe the master statistics.
//
// A herd worker sends its last report before client_stopped (and before
// quit). A Locust 2.12.1 worker answers stop with client_stopped and no
// report; its stats_reporter greenlet goes on sending one every 3 s
// (WORKER_REPORT_INTERVAL), so what its users recorded since the previous
// report arrives with the first report after client_stopped. On quit it
// stops, sends a last report, then quit.

// locustReportEvery is Locust's WORKER_REPORT_INTERVAL.
const locustReportEvery = 3 * time.Second

// errQuitting refuses a start once the master has quit.
var errQuitting = errors.New("the master has told its workers to quit")

// owing is what a worker still has to send the master.
type owing uint8

const (
	// owesRun: it was given users; its statistics are complete once it
	// stopped (and, for a Locust worker, reported once more) or quit.
	owesRun owing = iota + 1
	// owesReport: a Locust worker that stopped; its next report is its
	// last of the test.
	owesReport
)

// sendSpawn sends a spawn, after which the worker owes its statistics.
func (m *Master) sendSpawn(id string, sp wire.Spawn) {
	m.mu.Lock()
	m.owed[id] = owesRun
	m.mu.Unlock()
	m.sendTo(id, sp)
}

// stoppedLocked records a worker's client_stopped: a herd worker's
// statistics are then complete, a Locust worker's come with its next
// report.
func (m *Master) stoppedLocked(id string) {
	if _, owes := m.owed[id]; !owes {
		return
	}
	if m.herdNodes[id] {
		delete(m.owed, id)
		return
	}
	m.owed[id] = owesReport
}

// reportedLocked records that a report of id was merged.
func (m *Master) reportedLocked(id string) {
	if m.owed[id] == owesReport {
		delete(m.owed, id)
	}
}

// newTestLocked resets what a new test starts from: a worker removed
// after missing too long during the last one owes nothing to this one.
func (m *Master) newTestLocked() {
	m.placed = 0
	if m.gone {
		m.allGone, m.gone = make(chan struct{}), false
	}
	for id := range m.owed {
		if m.workers[id] == nil {
			delete(m.owed, id)
		}
	}
}

// AwaitFinalReports waits, after Stop, until every stopped worker's last
// statistics were merged (OnDelta returned): a herd worker's came before
// its client_stopped, a Locust worker's come with its first report after
// it (within 3 s). It waits at most MasterOptions.FinalReportWait, or
// until ctx ends, and never for a worker that is missing (no heartbeats)
// or gone. It returns, sorted, the workers whose final statistics did not
// come, and logs a warning naming each; nil when all are in.
//
// A worker that went missing or was removed while it ran users is named
// too: what it recorded after its last report is lost.
func (m *Master) AwaitFinalReports(ctx context.Context) (missing []string) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.FinalReportWait)
	defer cancel()
	m.await(ctx, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for id := range m.owed {
			if w := m.workers[id]; w != nil && w.missingSince.IsZero() {
				return false
			}
		}
		return true
	})
	return m.missingReports()
}

// missingReports lists and logs the workers that still owe statistics.
func (m *Master) missingReports() []string {
	m.mu.Lock()
	var ids []string
	for id := range m.owed {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		m.log.Warn("master: final statistics missing from a worker", "worker", id)
	}
	return ids
}
