package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// errTruncated is a cursor's error for input that ends too soon. A
// cursor's errors say what is wrong, not where: its callers add the path.
var errTruncated = errors.New("truncated")

// cursor reads msgpack straight from its bytes, for the decoders a master
// runs on every worker report: a string comes back as a view of the input
// (no copy, no allocation) and nothing goes through an io.Reader. Unlike
// reader (over msgpack.Decoder, which allocates every string it returns
// and even every str or bin it skips), it costs nothing per value.
//
// Every read checks the input's bounds, so a cursor never panics, whatever
// the bytes; it checks no UTF-8, which validateObject does up front. Like
// reader, it is strict: nil is never 0, bin never a string, a float never
// an integer.
type cursor struct {
	b   []byte
	off int
}

// code returns the next msgpack code without consuming it.
func (c *cursor) code() (byte, error) {
	if c.off >= len(c.b) {
		return 0, errTruncated
	}
	return c.b[c.off], nil
}

// take consumes n bytes and returns them.
func (c *cursor) take(n int) ([]byte, error) {
	if n < 0 || n > len(c.b)-c.off {
		return nil, errTruncated
	}
	v := c.b[c.off : c.off+n : c.off+n]
	c.off += n
	return v, nil
}

// length reads a big-endian length of width 1, 2 or 4 bytes.
func (c *cursor) length(width int) (int, error) {
	b, err := c.take(width)
	if err != nil {
		return 0, err
	}
	switch width {
	case 1:
		return int(b[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(b)), nil
	}
	return int(binary.BigEndian.Uint32(b)), nil
}

// isNil consumes a nil and reports true if the next object is nil.
func (c *cursor) isNil() (bool, error) {
	code, err := c.code()
	if err != nil || code != 0xc0 {
		return false, err
	}
	c.off++
	return true, nil
}

// str reads a msgpack str as a view.
func (c *cursor) str() ([]byte, error) {
	code, err := c.code()
	if err != nil {
		return nil, err
	}
	c.off++
	n := 0
	switch {
	case code >= 0xa0 && code <= 0xbf:
		n = int(code & 0x1f)
	case code == 0xd9:
		n, err = c.length(1)
	case code == 0xda:
		n, err = c.length(2)
	case code == 0xdb:
		n, err = c.length(4)
	default:
		c.off--
		return nil, fmt.Errorf("want str, got %s", kindOf(code))
	}
	if err != nil {
		return nil, err
	}
	return c.take(n)
}

// bytes reads a msgpack bin or str as a view; nil reads as nil.
func (c *cursor) bytes() ([]byte, error) {
	code, err := c.code()
	if err != nil {
		return nil, err
	}
	switch code {
	case 0xc0:
		c.off++
		return nil, nil
	case 0xc4, 0xc5, 0xc6:
		c.off++
		n, err := c.length(1 << (code - 0xc4))
		if err != nil {
			return nil, err
		}
		return c.take(n)
	}
	return c.str()
}

// int64 reads a msgpack integer of any width that fits in an int64.
func (c *cursor) int64() (int64, error) {
	code, err := c.code()
	if err != nil {
		return 0, err
	}
	if code <= 0x7f || code >= 0xe0 {
		c.off++
		return int64(int8(code)), nil
	}
	var width int
	switch code {
	case 0xcc, 0xd0:
		width = 1
	case 0xcd, 0xd1:
		width = 2
	case 0xce, 0xd2:
		width = 4
	case 0xcf, 0xd3:
		width = 8
	default:
		return 0, fmt.Errorf("want integer, got %s", kindOf(code))
	}
	c.off++
	b, err := c.take(width)
	if err != nil {
		return 0, err
	}
	switch code {
	case 0xcc:
		return int64(b[0]), nil
	case 0xcd:
		return int64(binary.BigEndian.Uint16(b)), nil
	case 0xce:
		return int64(binary.BigEndian.Uint32(b)), nil
	case 0xcf:
		u := binary.BigEndian.Uint64(b)
		if u > math.MaxInt64 {
			return 0, fmt.Errorf("integer %d out of range", u)
		}
		return int64(u), nil
	case 0xd0:
		return int64(int8(b[0])), nil
	case 0xd1:
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case 0xd2:
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// int reads a msgpack integer that fits in an int.
func (c *cursor) int() (int, error) {
	n, err := c.int64()
	if err != nil {
		return 0, err
	}
	if n < math.MinInt || n > math.MaxInt {
		return 0, fmt.Errorf("integer %d out of range", n)
	}
	return int(n), nil
}

// number reads a msgpack integer or float, remembering which it was.
func (c *cursor) number() (Number, error) {
	code, err := c.code()
	if err != nil {
		return Number{}, err
	}
	switch code {
	case 0xca:
		c.off++
		b, err := c.take(4)
		if err != nil {
			return Number{}, err
		}
		return FloatNumber(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
	case 0xcb:
		c.off++
		b, err := c.take(8)
		if err != nil {
			return Number{}, err
		}
		return FloatNumber(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	}
	if !isInt(code) {
		return Number{}, fmt.Errorf("want number, got %s", kindOf(code))
	}
	n, err := c.int64()
	return IntNumber(n), err
}

// numberOrNil reads a number or nil (ok false).
func (c *cursor) numberOrNil() (n Number, ok bool, err error) {
	if isNil, err := c.isNil(); err != nil || isNil {
		return Number{}, false, err
	}
	n, err = c.number()
	return n, err == nil, err
}

// mapLen reads the header of a msgpack map. A map cannot hold more pairs
// than there are bytes left, so a hostile length is refused here, before
// anything is sized by it.
func (c *cursor) mapLen() (int, error) {
	code, err := c.code()
	if err != nil {
		return 0, err
	}
	n := 0
	switch {
	case code >= 0x80 && code <= 0x8f:
		c.off++
		n = int(code & 0x0f)
	case code == 0xde:
		c.off++
		n, err = c.length(2)
	case code == 0xdf:
		c.off++
		n, err = c.length(4)
	default:
		return 0, fmt.Errorf("want map, got %s", kindOf(code))
	}
	if err == nil && 2*n > len(c.b)-c.off {
		err = fmt.Errorf("%d pairs declared, %d bytes left", n, len(c.b)-c.off)
	}
	return n, err
}

// arrayLen reads the header of a msgpack array (see mapLen).
func (c *cursor) arrayLen() (int, error) {
	code, err := c.code()
	if err != nil {
		return 0, err
	}
	n := 0
	switch {
	case code >= 0x90 && code <= 0x9f:
		c.off++
		n = int(code & 0x0f)
	case code == 0xdc:
		c.off++
		n, err = c.length(2)
	case code == 0xdd:
		c.off++
		n, err = c.length(4)
	default:
		return 0, fmt.Errorf("want array, got %s", kindOf(code))
	}
	if err == nil && n > len(c.b)-c.off {
		err = fmt.Errorf("%d items declared, %d bytes left", n, len(c.b)-c.off)
	}
	return n, err
}

// skip consumes one object of any kind, nested ones included, without
// recursion: it counts the objects still to skip.
func (c *cursor) skip() error {
	for todo := 1; todo > 0; todo-- {
		code, err := c.code()
		if err != nil {
			return err
		}
		c.off++
		n := 0 // bytes to skip after the header
		switch {
		case code <= 0x7f || code >= 0xe0, code == 0xc0, code == 0xc2, code == 0xc3:
		case code >= 0x80 && code <= 0x8f:
			todo += 2 * int(code&0x0f)
		case code >= 0x90 && code <= 0x9f:
			todo += int(code & 0x0f)
		case code >= 0xa0 && code <= 0xbf:
			n = int(code & 0x1f)
		default:
			switch code {
			case 0xcc, 0xd0:
				n = 1
			case 0xcd, 0xd1:
				n = 2
			case 0xca, 0xce, 0xd2:
				n = 4
			case 0xcb, 0xcf, 0xd3:
				n = 8
			case 0xc4, 0xd9:
				n, err = c.length(1)
			case 0xc5, 0xda:
				n, err = c.length(2)
			case 0xc6, 0xdb:
				n, err = c.length(4)
			case 0xdc:
				n, err = c.length(2)
				todo, n = todo+n, 0
			case 0xdd:
				n, err = c.length(4)
				todo, n = todo+n, 0
			case 0xde:
				n, err = c.length(2)
				todo, n = todo+2*n, 0
			case 0xdf:
				n, err = c.length(4)
				todo, n = todo+2*n, 0
			default:
				return fmt.Errorf("msgpack code 0x%02x is not part of the protocol", code)
			}
			if err != nil {
				return err
			}
		}
		if todo > len(c.b)-c.off+1 {
			return errors.New("more items declared than bytes left")
		}
		if _, err := c.take(n); err != nil {
			return err
		}
	}
	return nil
}

// raw consumes one object and returns its encoding, as a view.
func (c *cursor) raw() ([]byte, error) {
	start := c.off
	if err := c.skip(); err != nil {
		return nil, err
	}
	return c.b[start:c.off:c.off], nil
}
