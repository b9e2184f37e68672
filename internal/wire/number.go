package wire

import "strconv"

// Number is a msgpack number that remembers whether it was an integer or a
// float on the wire. Several Locust fields hold either (total and max
// response time, min response time, stop_timeout, response-time histogram
// keys), and re-encoding must keep the distinction to reproduce Locust's
// bytes. The zero value is the integer 0.
type Number struct {
	i       int64
	f       float64
	isFloat bool
}

// IntNumber returns the integer n.
func IntNumber(n int64) Number { return Number{i: n} }

// FloatNumber returns the float f (encoded as float64).
func FloatNumber(f float64) Number { return Number{f: f, isFloat: true} }

// IsFloat reports whether n is a float.
func (n Number) IsFloat() bool { return n.isFloat }

// Float64 returns n as a float64 (integers above 2^53 lose precision).
func (n Number) Float64() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

// Int64 returns n as an int64 and whether that is exact: true for integers
// and for floats with an integral value in int64 range.
func (n Number) Int64() (int64, bool) {
	if !n.isFloat {
		return n.i, true
	}
	if n.f >= -(1<<63) && n.f < 1<<63 && n.f == float64(int64(n.f)) {
		return int64(n.f), true
	}
	return int64(n.f), false
}

// String formats n like Python would print it: "3" or "3.0".
func (n Number) String() string {
	if !n.isFloat {
		return strconv.FormatInt(n.i, 10)
	}
	s := strconv.FormatFloat(n.f, 'g', -1, 64)
	for _, c := range s {
		if c == '.' || c == 'e' || c == 'n' || c == 'N' || c == 'I' {
			return s
		}
	}
	return s + ".0"
}
