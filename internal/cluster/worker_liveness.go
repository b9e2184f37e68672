package cluster

import "time"

// A worker judges its master by the master's heartbeats: herd masters and
// Locust ≥ 2.19 answer each of the worker's, older Locust masters send
// none (such a master is never judged, as Locust 2.12.1 workers never
// judge theirs).
//
// Two things look like a silent master and are not: this worker not
// running (its process stopped by SIGSTOP, a suspended VM, starvation)
// and its message loop held up (stopping users takes the stop timeout).
// Both make the worker's own timers fire late, and that time is not the
// master's silence: the master answers heartbeats, and none were sent, or
// none were read.
//
// After a pause of its process, the master may have marked this worker
// missing (its heartbeats heal that) or removed it (the master then
// ignores them, and gave its users to other workers). A master that
// stays silent for a few heartbeats after the pause has forgotten this
// worker, which registers again rather than wait for the timeout.

// verdict is what a check concludes about the master.
type verdict int

const (
	masterFine   verdict = iota
	masterQuiet          // silent for a few heartbeats: worth one log line
	masterForgot         // silent since this worker's pause: register again
	masterGone           // silent for the whole timeout: leave
)

// pauseMin is how late the heartbeat timer must fire for the worker to
// count as paused: two heartbeats missed, and at least a second (shorter
// stalls of a busy machine are common and no master notices them).
func pauseMin(every time.Duration) time.Duration { return max(2*every, time.Second) }

// masterWatch keeps the master's silence as this worker lived it. The
// worker's message loop alone uses it.
type masterWatch struct {
	timeout     time.Duration // silence that means the master is gone
	rejoinAfter time.Duration // silence after a pause that means it forgot this worker

	seen    time.Time     // the master's last heartbeat; zero: it sends none
	excused time.Duration // time since seen during which this worker's checks were late
	woke    time.Time     // when the last pause ended, until the master answered after it
	quiet   bool          // the current silence was reported
}

// newMasterWatch watches a master that heartbeats every interval, gone
// after timeout.
func newMasterWatch(every, timeout time.Duration) masterWatch {
	return masterWatch{timeout: timeout, rejoinAfter: min(3*every, timeout/2)}
}

// heartbeat records one of the master's heartbeats, handled at now. It
// returns how long the master had been silent when that silence was
// reported (masterQuiet or masterForgot), else 0.
func (m *masterWatch) heartbeat(now time.Time) (silence time.Duration) {
	if m.quiet {
		silence = m.silence(now)
	}
	m.seen, m.excused, m.quiet = now, 0, false
	return silence
}

// paused records that this worker's process did not run until now.
func (m *masterWatch) paused(now time.Time) {
	if !m.seen.IsZero() {
		m.woke = now
	}
}

// check is the periodic check, due at due and run at now: later than due
// when this worker did not run meanwhile.
func (m *masterWatch) check(due, now time.Time) verdict {
	if m.seen.IsZero() {
		return masterFine
	}
	if from := later(due, m.seen); now.After(from) {
		m.excused += now.Sub(from)
	}
	if m.silence(now) > m.timeout {
		return masterGone
	}
	if !m.woke.IsZero() {
		// Heartbeats handled right after the pause may be answers to
		// those sent before it, so the master gets rejoinAfter from the
		// later of the two to show it still knows this worker.
		switch {
		case now.Sub(later(m.seen, m.woke)) >= m.rejoinAfter:
			m.woke, m.quiet = time.Time{}, true
			return masterForgot
		case now.Sub(m.woke) >= 2*m.rejoinAfter:
			m.woke = time.Time{} // it answered all along
		default:
			return masterFine
		}
	}
	if !m.quiet && m.silence(now) >= m.rejoinAfter {
		m.quiet = true
		return masterQuiet
	}
	return masterFine
}

// silence is how long the master has been silent at now, the time this
// worker did not run taken out.
func (m *masterWatch) silence(now time.Time) time.Duration {
	return now.Sub(m.seen) - m.excused
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
