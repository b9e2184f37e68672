// Package dispatch decides how many users of each type run for a given
// total: fixed-count types first, then the weighted types in a smooth
// weighted round-robin order (as Locust's dispatcher does), so that adding
// or removing one user always changes exactly one type's count and every
// intermediate mix stays as close to the weights as it can.
package dispatch

import (
	"errors"
	"fmt"
)

// Type is one user type's share: a fixed count, or a weight.
type Type struct {
	Weight int // used when Fixed is 0
	Fixed  int // > 0: exactly this many users, taken first
}

// Plan maps a total user count to per-type counts. It is immutable.
type Plan struct {
	types    []Type
	fixed    []int // type index of the i-th fixed user
	cycle    []int // one round-robin cycle of weighted type indexes
	weighted bool
}

// New builds a plan. At least one type must have a positive weight or
// fixed count.
func New(types []Type) (*Plan, error) {
	p := &Plan{types: append([]Type(nil), types...)}
	var weights []int
	sum := 0
	for i, t := range types {
		switch {
		case t.Fixed < 0 || t.Weight < 0:
			return nil, fmt.Errorf("type %d: negative weight or fixed count", i)
		case t.Fixed > 0:
			for range t.Fixed {
				p.fixed = append(p.fixed, i)
			}
			weights = append(weights, 0)
		default:
			weights = append(weights, t.Weight)
			sum += t.Weight
		}
	}
	if sum == 0 && len(p.fixed) == 0 {
		return nil, errors.New("no user type has a positive weight or fixed count")
	}
	p.fixed = interleave(p.fixed, types)
	if sum > 0 {
		p.weighted = true
		g := 0
		for _, w := range weights {
			g = gcd(g, w)
		}
		for i := range weights {
			weights[i] /= g
		}
		p.cycle = smoothRoundRobin(weights)
	}
	return p, nil
}

// interleave orders fixed users round-robin across their types, so a
// partial ramp starts some of every fixed type.
func interleave(fixed []int, types []Type) []int {
	left := make([]int, len(types))
	for _, i := range fixed {
		left[i]++
	}
	out := make([]int, 0, len(fixed))
	for len(out) < len(fixed) {
		for i := range left {
			if left[i] > 0 {
				left[i]--
				out = append(out, i)
			}
		}
	}
	return out
}

// smoothRoundRobin is nginx's smooth weighted round-robin over one cycle.
func smoothRoundRobin(weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	cur := make([]int, len(weights))
	cycle := make([]int, 0, total)
	for range total {
		best := -1
		for i, w := range weights {
			if w == 0 {
				continue
			}
			cur[i] += w
			if best < 0 || cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		cycle = append(cycle, best)
	}
	return cycle
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Counts returns how many users of each type run when n run in total.
// When only fixed-count types exist, the total is capped at their sum.
func (p *Plan) Counts(n int) []int {
	counts := make([]int, len(p.types))
	if n <= 0 {
		return counts
	}
	f := min(n, len(p.fixed))
	for _, i := range p.fixed[:f] {
		counts[i]++
	}
	rest := n - f
	if rest == 0 || !p.weighted {
		return counts
	}
	full, part := rest/len(p.cycle), rest%len(p.cycle)
	for _, i := range p.cycle {
		counts[i] += full
	}
	for _, i := range p.cycle[:part] {
		counts[i]++
	}
	return counts
}

// Types is the number of types with a positive weight or fixed count.
func (p *Plan) Types() int {
	n := 0
	for _, t := range p.types {
		if t.Weight > 0 || t.Fixed > 0 {
			n++
		}
	}
	return n
}

// Max is the largest total the plan can place: unbounded (-1) when any type
// is weighted, else the sum of fixed counts.
func (p *Plan) Max() int {
	if p.weighted {
		return -1
	}
	return len(p.fixed)
}

// TypeOf is the type of the i-th user (0-based) in the plan's order: fixed
// users first, then the weighted cycle.
func (p *Plan) TypeOf(i int) int {
	if i < len(p.fixed) {
		return p.fixed[i]
	}
	return p.cycle[(i-len(p.fixed))%len(p.cycle)]
}

// Spread places n users on workers as Locust's dispatcher does: the users
// in the plan's order, each to the next worker in turn. It returns, per
// worker, the count of each type; adding a user changes one worker's count
// of one type. n is capped as in Counts.
func (p *Plan) Spread(n, workers int) [][]int {
	out := make([][]int, workers)
	for w := range out {
		out[w] = make([]int, len(p.types))
	}
	if workers == 0 {
		return out
	}
	if m := p.Max(); m >= 0 {
		n = min(n, m)
	}
	for i := range n {
		out[i%workers][p.TypeOf(i)]++
	}
	return out
}
