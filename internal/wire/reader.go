package wire

import (
	"bytes"
	"math"

	"github.com/vmihailenco/msgpack/v5"
)

// reader decodes msgpack strictly: unlike msgpack.Decoder's own Decode*
// methods it never turns nil into 0, bin into a string or a float into an
// integer. It only reads input that scanValue has validated, so declared
// lengths are bounded and nesting is shallow.
type reader struct {
	d *msgpack.Decoder

	// Scratch maps that find repeated keys in the many small maps of a
	// stats report, emptied and reused from one map to the next.
	floats map[float64]int
	ints   map[int64]int
	// skipResponseTimes leaves entries' response_times undecoded.
	skipResponseTimes bool
}

// floatIndex returns an empty map for n keys, reused between calls.
func (r *reader) floatIndex(n int) map[float64]int {
	if r.floats == nil {
		r.floats = make(map[float64]int, n)
	}
	clear(r.floats)
	return r.floats
}

// intIndex returns an empty map for n keys, reused between calls.
func (r *reader) intIndex(n int) map[int64]int {
	if r.ints == nil {
		r.ints = make(map[int64]int, n)
	}
	clear(r.ints)
	return r.ints
}

// newReader validates raw as one msgpack object and returns a reader on it.
func newReader(raw []byte) (*reader, error) {
	if err := validateObject(raw, DefaultMaxDepth); err != nil {
		return nil, err
	}
	return &reader{d: msgpack.NewDecoder(bytes.NewReader(raw))}, nil
}

// peek returns the next msgpack code without consuming it.
func (r *reader) peek(path string) (byte, error) {
	c, err := r.d.PeekCode()
	if err != nil {
		return 0, invalidf("%s: truncated", path)
	}
	return c, nil
}

// expect consumes nothing and fails unless the next object is of kind want.
func (r *reader) expect(path, want string) error {
	c, err := r.peek(path)
	if err != nil {
		return err
	}
	if got := kindOf(c); got != want {
		return invalidf("%s: want %s, got %s", path, want, got)
	}
	return nil
}

// isNil consumes a nil and reports true if the next object is nil.
func (r *reader) isNil(path string) (bool, error) {
	c, err := r.peek(path)
	if err != nil {
		return false, err
	}
	if c != 0xc0 {
		return false, nil
	}
	return true, r.d.DecodeNil()
}

// str reads a msgpack str.
func (r *reader) str(path string) (string, error) {
	if err := r.expect(path, "str"); err != nil {
		return "", err
	}
	s, err := r.d.DecodeString()
	if err != nil {
		return "", invalidf("%s: %v", path, err)
	}
	return s, nil
}

// strOrNil reads a msgpack str or nil.
func (r *reader) strOrNil(path string) (*string, error) {
	if isNil, err := r.isNil(path); err != nil || isNil {
		return nil, err
	}
	s, err := r.str(path)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// int64 reads a msgpack integer of any width that fits in an int64.
func (r *reader) int64(path string) (int64, error) {
	c, err := r.peek(path)
	if err != nil {
		return 0, err
	}
	if !isInt(c) {
		return 0, invalidf("%s: want integer, got %s", path, kindOf(c))
	}
	if c == 0xcf { // uint64 may exceed int64
		u, err := r.d.DecodeUint64()
		if err != nil {
			return 0, invalidf("%s: %v", path, err)
		}
		if u > math.MaxInt64 {
			return 0, invalidf("%s: integer %d out of range", path, u)
		}
		return int64(u), nil
	}
	n, err := r.d.DecodeInt64()
	if err != nil {
		return 0, invalidf("%s: %v", path, err)
	}
	return n, nil
}

// int reads a msgpack integer that fits in an int.
func (r *reader) int(path string) (int, error) {
	n, err := r.int64(path)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt || n > math.MaxInt {
		return 0, invalidf("%s: integer %d out of range", path, n)
	}
	return int(n), nil
}

// number reads a msgpack integer or float, remembering which it was.
func (r *reader) number(path string) (Number, error) {
	c, err := r.peek(path)
	if err != nil {
		return Number{}, err
	}
	if isFloat(c) {
		f, err := r.d.DecodeFloat64()
		if err != nil {
			return Number{}, invalidf("%s: %v", path, err)
		}
		return FloatNumber(f), nil
	}
	if !isInt(c) {
		return Number{}, invalidf("%s: want number, got %s", path, kindOf(c))
	}
	n, err := r.int64(path)
	if err != nil {
		return Number{}, err
	}
	return IntNumber(n), nil
}

// numberOrNil reads a number or nil.
func (r *reader) numberOrNil(path string) (*Number, error) {
	if isNil, err := r.isNil(path); err != nil || isNil {
		return nil, err
	}
	n, err := r.number(path)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// float reads a number (integer or float) as a float64.
func (r *reader) float(path string) (float64, error) {
	n, err := r.number(path)
	if err != nil {
		return 0, err
	}
	return n.Float64(), nil
}

// floatOrNil reads a number or nil as a *float64.
func (r *reader) floatOrNil(path string) (*float64, error) {
	n, err := r.numberOrNil(path)
	if err != nil || n == nil {
		return nil, err
	}
	f := n.Float64()
	return &f, nil
}

// mapLen reads the header of a msgpack map.
func (r *reader) mapLen(path string) (int, error) {
	if err := r.expect(path, "map"); err != nil {
		return 0, err
	}
	n, err := r.d.DecodeMapLen()
	if err != nil {
		return 0, invalidf("%s: %v", path, err)
	}
	return n, nil
}

// arrayLen reads the header of a msgpack array.
func (r *reader) arrayLen(path string) (int, error) {
	if err := r.expect(path, "array"); err != nil {
		return 0, err
	}
	n, err := r.d.DecodeArrayLen()
	if err != nil {
		return 0, invalidf("%s: %v", path, err)
	}
	return n, nil
}

// skip consumes one object of any kind.
func (r *reader) skip(path string) error {
	if err := r.d.Skip(); err != nil {
		return invalidf("%s: %v", path, err)
	}
	return nil
}

// raw consumes one object and returns its encoding.
func (r *reader) raw(path string) (msgpack.RawMessage, error) {
	raw, err := r.d.DecodeRaw()
	if err != nil {
		return nil, invalidf("%s: %v", path, err)
	}
	return raw, nil
}

// strings reads an array of str.
func (r *reader) strings(path string) ([]string, error) {
	n, err := r.arrayLen(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, n)
	for range n {
		s, err := r.str(path + "[]")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// countMap reads a map of str keys to integer counts.
func (r *reader) countMap(path string) (map[string]int, error) {
	n, err := r.mapLen(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, n)
	for range n {
		k, err := r.str(path + " key")
		if err != nil {
			return nil, err
		}
		v, err := r.int(keyPath(path, k))
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// fields reads a map with str keys, calling field for each key; field must
// consume the value. Unknown keys are for field to skip or keep.
func (r *reader) fields(path string, field func(key string) error) error {
	n, err := r.mapLen(path)
	if err != nil {
		return err
	}
	for range n {
		k, err := r.strAt(func() string { return path + " key" })
		if err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
	}
	return nil
}

// The *At variants read what their namesakes read but take the error path
// as a function, called only when the input is not what they expect, so
// that decoding the many small values of a stats report builds no path
// strings. A value of another kind falls back to the namesake with the
// full path, so the errors are the same.

// intAt is int with a lazily built path.
func (r *reader) intAt(path func() string) (int, error) {
	if c, err := r.d.PeekCode(); err == nil && isInt(c) && c != 0xcf {
		n, err := r.d.DecodeInt64()
		if err != nil {
			return 0, invalidf("%s: %v", path(), err)
		}
		if n < math.MinInt || n > math.MaxInt {
			return 0, invalidf("%s: integer %d out of range", path(), n)
		}
		return int(n), nil
	}
	return r.int(path())
}

// int64At is int64 with a lazily built path.
func (r *reader) int64At(path func() string) (int64, error) {
	if c, err := r.d.PeekCode(); err == nil && isInt(c) && c != 0xcf {
		n, err := r.d.DecodeInt64()
		if err != nil {
			return 0, invalidf("%s: %v", path(), err)
		}
		return n, nil
	}
	return r.int64(path())
}

// numberAt is number with a lazily built path.
func (r *reader) numberAt(path func() string) (Number, error) {
	c, err := r.d.PeekCode()
	switch {
	case err == nil && isFloat(c):
		f, err := r.d.DecodeFloat64()
		if err != nil {
			return Number{}, invalidf("%s: %v", path(), err)
		}
		return FloatNumber(f), nil
	case err == nil && isInt(c) && c != 0xcf:
		n, err := r.d.DecodeInt64()
		if err != nil {
			return Number{}, invalidf("%s: %v", path(), err)
		}
		return IntNumber(n), nil
	}
	return r.number(path())
}

// strAt is str with a lazily built path.
func (r *reader) strAt(path func() string) (string, error) {
	if c, err := r.d.PeekCode(); err == nil && kindOf(c) == "str" {
		s, err := r.d.DecodeString()
		if err != nil {
			return "", invalidf("%s: %v", path(), err)
		}
		return s, nil
	}
	return r.str(path())
}
