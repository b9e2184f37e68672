package cluster

import (
	"fmt"
	"sync"
	"time"

	"github.com/herdload/herd/internal/shape"
)

// Schedule is one worker's share of an arrival schedule, the
// arrivals k ≡ i (mod n), whose share can change mid-run: from a
// boundary offset on, another share (i', n') applies. All workers switch
// at the same boundaries, so the shares still add up to the full schedule.
// It is safe for concurrent use (a runner calls Next, the cluster worker
// Reshare).
type Schedule struct {
	rate    shape.Rate
	poisson bool
	seed    uint64

	mu      sync.Mutex
	cur     *shape.Arrivals // the share being walked
	head    time.Duration   // cur's next arrival, already taken from cur
	headOK  bool
	pending []nextShare   // shares to come, by boundary
	given   time.Duration // the last arrival handed out
	started bool
}

// nextShare is a share that applies from an offset on.
type nextShare struct {
	a      *shape.Arrivals
	from   time.Duration
	head   time.Duration // a's first arrival at or after from
	headOK bool
}

// NewSchedule returns sh's share of its schedule, from sh.From on.
func NewSchedule(sh OpenShare) (*Schedule, error) {
	rate, err := shape.ParseRate(sh.Rate)
	if err != nil {
		return nil, fmt.Errorf("arrival rate from the master: %w", err)
	}
	s := &Schedule{rate: rate, poisson: sh.Poisson, seed: sh.Seed}
	a, err := s.share(sh.Share, sh.Shares)
	if err != nil {
		return nil, err
	}
	s.cur = a
	s.head, s.headOK = skipTo(a, sh.From)
	return s, nil
}

func (s *Schedule) share(i, n int) (*shape.Arrivals, error) {
	return shape.NewArrivals(s.rate, s.poisson, s.seed).Share(i, n)
}

// skipTo takes a's arrivals until the first at or after from.
func skipTo(a *shape.Arrivals, from time.Duration) (time.Duration, bool) {
	for {
		t, ok := a.Next()
		if !ok || t >= from {
			return t, ok
		}
	}
}

// Next returns the next arrival of the share, as an offset from the
// shared start, or false once the schedule is over.
func (s *Schedule) Next() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) > 0 && (!s.headOK || s.head >= s.pending[0].from) {
		p := s.pending[0]
		s.cur, s.head, s.headOK, s.pending = p.a, p.head, p.headOK, s.pending[1:]
	}
	if !s.headOK {
		return 0, false
	}
	t := s.head
	s.head, s.headOK = s.cur.Next()
	s.given, s.started = t, true
	return t, true
}

// Reshare makes sh's share apply from sh.From on. late reports that an
// arrival at or after sh.From was already handed out (the message came too
// late), which then runs on two workers or on none.
func (s *Schedule) Reshare(sh OpenShare) (late bool, err error) {
	from := sh.From
	a, err := s.share(sh.Share, sh.Shares)
	if err != nil {
		return false, err
	}
	head, ok := skipTo(a, from) // here, not in the runner's dispatcher
	s.mu.Lock()
	defer s.mu.Unlock()
	// A boundary replaces the pending ones at or after it (the master's
	// boundaries only move forward).
	for len(s.pending) > 0 && s.pending[len(s.pending)-1].from >= from {
		s.pending = s.pending[:len(s.pending)-1]
	}
	s.pending = append(s.pending, nextShare{a: a, from: from, head: head, headOK: ok})
	return s.started && s.given >= from, nil
}
