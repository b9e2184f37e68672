package shape

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Arrivals walks the schedule of a [Rate]: the intended start of each
// iteration, in order, as offsets from the start of the run. It is not safe
// for concurrent use; one pacer goroutine owns it.
//
// Uniform arrivals are due at Rate.TimeOf(k) for k = 0, 1, 2, …; Poisson
// arrivals at Rate.TimeOf(E₁+…+Eₖ₊₁) with Eᵢ independent Exp(1) draws from a
// PCG generator seeded with seed: a Poisson process of intensity r(t) by
// time change, the same for the same seed.
type Arrivals struct {
	rate    Rate
	poisson bool
	seed    uint64

	rng   *rand.Rand
	sum   float64 // E₁+…+E_drawn
	drawn uint64

	next   uint64 // index into the full schedule of the next arrival
	stride uint64 // take every stride-th arrival
	done   bool
}

// NewArrivals returns the whole schedule of r, uniform or Poisson.
func NewArrivals(r Rate, poisson bool, seed uint64) *Arrivals {
	return &Arrivals{
		rate:    r,
		poisson: poisson,
		seed:    seed,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stride:  1,
	}
}

// Share returns worker i's share of n equal shares of a's full schedule,
// from its beginning: the arrivals with index k ≡ i (mod n). The shares of
// i = 0…n−1 together are exactly the full schedule, so n workers sharing
// one rate start exactly the target rate between them. For Poisson
// arrivals every worker must be given the same seed. Share does not change
// a.
func (a *Arrivals) Share(i, n int) (*Arrivals, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("share %d of %d: want 0 ≤ i < n", i, n)
	}
	s := NewArrivals(a.rate, a.poisson, a.seed)
	s.next, s.stride = uint64(i), uint64(n)
	return s, nil
}

// Next returns the intended start of the next arrival, or false once the
// rate's profile is over (never, for a constant rate).
func (a *Arrivals) Next() (time.Duration, bool) {
	if a.done {
		return 0, false
	}
	k := a.next
	a.next += a.stride
	n := float64(k)
	if a.poisson {
		for a.drawn <= k {
			a.sum += a.rng.ExpFloat64()
			a.drawn++
		}
		n = a.sum
	}
	t, ok := a.rate.TimeOf(n)
	if !ok {
		a.done = true
	}
	return t, ok
}
