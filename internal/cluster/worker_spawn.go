package cluster

import (
	"sync"
	"time"

	"github.com/herdload/herd/internal/wire"
)

// A worker's spawns run off its message loop, as Locust's spawning
// greenlet does: a count change of many users takes seconds, and a stop, a
// quit, a newer spawn or the worker's own Ctrl-C must not wait for it.
//
// Each accepted spawn is a job on a goroutine of its own that waits for
// the older jobs before it calls the Local, so the Local carries out the
// master's orders one at a time and in order. A job that replaces what
// came before (a count change, a new open-model run) supersedes the older
// jobs: those that have not called the Local yet do nothing, and one that
// is inside a long call is interrupted by the newer order itself, given at
// once on the newer job's goroutine (a concurrent Apply, which herd's
// runner obeys between two chunks of users; a Stop before a new
// open-model run). The newer job then gives its order again once the
// older jobs ended, alone this time, so that it holds whatever order the
// overlapping calls reached the runner in. A stop, a quit or the end of
// the worker interrupts the jobs with Local.Stop (spawner.end).

// stopRetry is how long spawner.end waits for the jobs after a Stop before
// it calls Stop again: a job let in just before the stop may reach the
// Local just after the Stop, and its count change would run to the end.
const stopRetry = 100 * time.Millisecond

// spawner orders a worker's spawn jobs and joins them.
type spawner struct {
	setState func(string) // the worker's state, set under mu

	mu      sync.Mutex
	seq     uint64        // the newest job's number
	floor   uint64        // jobs numbered below it are superseded
	epoch   uint64        // bumped by each end: earlier jobs do nothing more
	working int           // jobs inside (or let into) a call to the Local
	last    chan struct{} // closed when the newest job, and so every job, ended
	wg      sync.WaitGroup
}

// spawnJob is one spawn's place in the order.
type spawnJob struct {
	s          *spawner
	seq, epoch uint64
	// busy: an older job was inside a call to the Local when this one
	// came; a job that replaces it interrupts that call.
	busy bool
	prev <-chan struct{} // the older job's end; nil for the first
	done chan struct{}
}

// start runs work as the newest job, on a goroutine of its own; replaces
// says whether it supersedes the older jobs. The worker is spawning from
// now on.
func (s *spawner) start(replaces bool, work func(j *spawnJob)) {
	s.mu.Lock()
	s.seq++
	if replaces {
		s.floor = s.seq
	}
	j := &spawnJob{s: s, seq: s.seq, epoch: s.epoch, busy: s.working > 0, prev: s.last, done: make(chan struct{})}
	s.last = j.done
	s.setState(wire.StateSpawning)
	s.mu.Unlock()
	s.wg.Go(func() {
		defer close(j.done)
		work(j)
	})
}

// wait returns once every older job ended.
func (j *spawnJob) wait() {
	if j.prev != nil {
		<-j.prev
	}
}

// enter lets the job call the Local unless it was superseded or ended; a
// true answer must be followed by leave once the call returned.
func (j *spawnJob) enter() bool {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	if j.epoch != j.s.epoch || j.seq < j.s.floor {
		return false
	}
	j.s.working++
	return true
}

func (j *spawnJob) leave() {
	j.s.mu.Lock()
	j.s.working--
	j.s.mu.Unlock()
}

// finish runs confirm and marks the worker running when the job is still
// the newest one and was not ended (only the newest spawn is confirmed),
// and reports whether it did.
func (j *spawnJob) finish(confirm func()) bool {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	if j.epoch != j.s.epoch || j.seq != j.s.seq {
		return false
	}
	confirm()
	j.s.setState(wire.StateRunning)
	return true
}

// end makes every job give up and waits for them. A job inside a call to
// the Local is interrupted with stop, again every stopRetry while it has
// not ended. It reports whether stop was called: a job let in before the
// end may then have started users after the last Stop, and its caller
// should Stop again. Later jobs run normally.
func (s *spawner) end(stop func()) (stopped bool) {
	defer s.wg.Wait()
	s.mu.Lock()
	s.epoch++
	last := s.last
	s.mu.Unlock()
	if last == nil {
		return false
	}
	for {
		s.mu.Lock()
		busy := s.working > 0
		s.mu.Unlock()
		if !busy { // no job can enter any more: they end at once
			<-last
			return stopped
		}
		stop()
		stopped = true
		t := time.NewTimer(stopRetry)
		select {
		case <-last:
			t.Stop()
			return true
		case <-t.C:
		}
	}
}

// spawnCounts sets the number of users of each class, superseding the
// older spawns.
func (w *Worker) spawnCounts(counts map[string]int, host string, stopWait time.Duration) {
	w.spawns.start(true, func(j *spawnJob) {
		if j.busy && j.enter() {
			// An older count change runs: this Apply makes it give up
			// at its next chunk of users.
			w.local.Apply(counts, host, stopWait)
			j.leave()
		}
		j.wait()
		if !j.enter() {
			return
		}
		w.local.Apply(counts, host, stopWait)
		j.leave()
		w.spawned(j)
	})
}

// spawnNothing confirms a spawn that changes nothing, once the older ones
// ended.
func (w *Worker) spawnNothing() {
	w.spawns.start(false, func(j *spawnJob) {
		j.wait()
		w.spawned(j)
	})
}

// spawned sends spawning_complete with the users running, then runs
// OnSpawningComplete (Locust's order), if j is the newest spawn.
func (w *Worker) spawned(j *spawnJob) {
	counts := w.local.Counts()
	confirmed := j.finish(func() {
		w.send(wire.SpawningComplete{UserClassesCount: counts, UserCount: sum(counts)})
	})
	if confirmed && w.opts.OnSpawningComplete != nil {
		w.opts.OnSpawningComplete(sum(counts))
	}
}
