package cluster

import (
	"fmt"
	"math"
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
	cur     walker        // the share being walked
	head    time.Duration // cur's next arrival, already taken from cur
	headOK  bool
	pending []nextShare   // shares to come, by boundary
	given   time.Duration // the last arrival handed out
	started bool
}

// nextShare is a share that applies from an offset on.
type nextShare struct {
	a      walker
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
	if err := s.checkFrom(sh.From); err != nil {
		return nil, err
	}
	a, err := s.share(sh.Share, sh.Shares)
	if err != nil {
		return nil, err
	}
	s.cur = a
	s.head, s.headOK = skipTo(a, sh.From)
	return s, nil
}

// maxPoissonSkip bounds the gaps a Poisson share draws to reach a
// boundary (about a second of CPU): the iterations due before it.
const maxPoissonSkip = 1e8

// checkFrom refuses a boundary that a Poisson share could not reach in
// reasonable time.
func (s *Schedule) checkFrom(from time.Duration) error {
	if s.poisson && s.rate.Count(from) > maxPoissonSkip {
		return fmt.Errorf("a Poisson share cannot start %v into the schedule (over %.0f iterations to draw)", from, float64(maxPoissonSkip))
	}
	return nil
}

// walker yields one share's arrivals in order.
type walker interface {
	Next() (time.Duration, bool)
}

func (s *Schedule) share(i, n int) (walker, error) {
	if !s.poisson {
		if n < 1 || i < 0 || i >= n {
			return nil, fmt.Errorf("share %d of %d: want 0 ≤ i < n", i, n)
		}
		return &uniformShare{rate: s.rate, k: uint64(i), stride: uint64(n)}, nil
	}
	return shape.NewArrivals(s.rate, s.poisson, s.seed).Share(i, n)
}

// skipTo takes w's arrivals until the first at or after from. A uniform
// share jumps close to it first: a re-share late in a long run must not
// walk the whole schedule. Poisson arrivals draw every gap before from.
func skipTo(w walker, from time.Duration) (time.Duration, bool) {
	if u, ok := w.(*uniformShare); ok {
		u.seek(from)
	}
	for {
		t, ok := w.Next()
		if !ok || t >= from {
			return t, ok
		}
	}
}

// uniformShare is shape.Arrivals' uniform share (iteration k is due at
// Rate.TimeOf(k); k = i, i+n, i+2n, …) that can jump ahead.
type uniformShare struct {
	rate      shape.Rate
	k, stride uint64
	done      bool
}

func (u *uniformShare) Next() (time.Duration, bool) {
	if u.done {
		return 0, false
	}
	t, ok := u.rate.TimeOf(float64(u.k))
	u.k += u.stride
	if !ok {
		u.done = true
	}
	return t, ok
}

// seek moves to the share's last index a little before the first due at
// or after from: TimeOf(k) ≥ from implies k ≥ Count(from), and 2 covers
// rounding.
func (u *uniformShare) seek(from time.Duration) {
	c := min(math.Floor(u.rate.Count(from))-2, 1<<62)
	if c <= 0 {
		return
	}
	if k0 := uint64(c); k0 > u.k {
		u.k += (k0 - u.k) / u.stride * u.stride
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
	if err := s.checkFrom(from); err != nil {
		return false, err
	}
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
