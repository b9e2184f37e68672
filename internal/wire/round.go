package wire

import "math"

// RoundResponseTime buckets a response time in milliseconds the way a Locust
// worker keys its response_times histogram (locust-wire.md 4.3): below 100
// ms to an integer, 100–999 to tens, 1000–9999 to hundreds, from 10000 on
// to thousands, each with Python's round(), i.e. ties (exact halves of the
// binary value) go to the even neighbour: 0.5→0, 1.5→2, 145→140, 155→160.
// NaN gives 0; values beyond the int range saturate.
func RoundResponseTime(ms float64) int {
	switch {
	case math.IsNaN(ms):
		return 0
	case ms < 100:
		return saturate(math.RoundToEven(ms))
	case ms < 1000:
		return roundToUnit(ms, 10)
	case ms < 10000:
		return roundToUnit(ms, 100)
	default:
		return roundToUnit(ms, 1000)
	}
}

// roundToUnit rounds ms ≥ 100 to a multiple of unit with ties to even,
// exactly: ms/unit is inexact in floating point, so the quotient is only a
// first guess that is corrected with exact comparisons.
func roundToUnit(ms, unit float64) int {
	if ms >= 1<<53 { // ms is an integer here; finish in integer arithmetic
		if ms >= 1<<62 {
			return math.MaxInt
		}
		n, u := int64(ms), int64(unit)
		q, rem := n/u, n%u
		if 2*rem > u || (2*rem == u && q%2 == 1) {
			q++
		}
		return int(q * u)
	}
	q := math.Floor(ms / unit)
	// q*unit is an integer below 2^53, hence exact.
	for q*unit > ms {
		q--
	}
	for (q+1)*unit <= ms {
		q++
	}
	// q*unit ≤ ms < 2·q*unit, so the difference is exact (Sterbenz).
	rem := ms - q*unit
	half := unit / 2
	if rem > half || (rem == half && math.Mod(q, 2) == 1) {
		q++
	}
	return int(q * unit)
}

// saturate converts an integral float to int, clamping to the int range.
func saturate(f float64) int {
	switch {
	case f >= math.MaxInt:
		return math.MaxInt
	case f <= math.MinInt:
		return math.MinInt
	}
	return int(f)
}
