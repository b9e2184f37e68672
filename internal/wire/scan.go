package wire

import (
	"encoding/binary"
	"unicode/utf8"
)

// scanValue validates the msgpack object starting at b[off] and returns the
// offset just past it. It checks everything the decoders rely on before any
// allocation happens: declared lengths fit in the remaining bytes, nesting
// stays within maxDepth, strings are valid UTF-8 (Python rejects anything
// else), and no ext type or reserved code appears (Locust never sends them).
func scanValue(b []byte, off, depth, maxDepth int) (int, error) {
	if off >= len(b) {
		return 0, invalidf("truncated msgpack at offset %d", off)
	}
	c := b[off]
	off++
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		return off, nil
	case c >= 0x80 && c <= 0x8f:
		return scanItems(b, off, 2*int(c&0x0f), depth, maxDepth)
	case c >= 0x90 && c <= 0x9f:
		return scanItems(b, off, int(c&0x0f), depth, maxDepth)
	case c >= 0xa0 && c <= 0xbf:
		return scanString(b, off, int(c&0x1f))
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return off, nil
	case 0xcc, 0xd0: // uint8, int8
		return skipBytes(b, off, 1)
	case 0xcd, 0xd1: // uint16, int16
		return skipBytes(b, off, 2)
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return skipBytes(b, off, 4)
	case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
		return skipBytes(b, off, 8)
	case 0xc4, 0xc5, 0xc6: // bin8/16/32
		n, off, err := readLen(b, off, c-0xc4)
		if err != nil {
			return 0, err
		}
		return skipBytes(b, off, n)
	case 0xd9, 0xda, 0xdb: // str8/16/32
		n, off, err := readLen(b, off, c-0xd9)
		if err != nil {
			return 0, err
		}
		return scanString(b, off, n)
	case 0xdc, 0xdd: // array16/32
		n, off, err := readLen(b, off, c-0xdc+1)
		if err != nil {
			return 0, err
		}
		return scanItems(b, off, n, depth, maxDepth)
	case 0xde, 0xdf: // map16/32
		n, off, err := readLen(b, off, c-0xde+1)
		if err != nil {
			return 0, err
		}
		return scanItems(b, off, 2*n, depth, maxDepth)
	case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return 0, invalidf("msgpack ext type 0x%02x at offset %d is not part of the protocol", c, off-1)
	}
	return 0, invalidf("reserved msgpack code 0xc1 at offset %d", off-1)
}

// scanItems validates n consecutive objects nested one level below depth.
func scanItems(b []byte, off, n, depth, maxDepth int) (int, error) {
	if depth+1 > maxDepth {
		return 0, invalidf("nesting deeper than %d at offset %d", maxDepth, off)
	}
	// Every object takes at least one byte: reject impossible counts up
	// front instead of looping over a declared 4-billion-item array.
	if n > len(b)-off {
		return 0, invalidf("declared %d items at offset %d but only %d bytes remain", n, off, len(b)-off)
	}
	var err error
	for range n {
		if off, err = scanValue(b, off, depth+1, maxDepth); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// scanString validates a UTF-8 string body of n bytes.
func scanString(b []byte, off, n int) (int, error) {
	end, err := skipBytes(b, off, n)
	if err != nil {
		return 0, err
	}
	if !utf8.Valid(b[off:end]) {
		return 0, invalidf("invalid UTF-8 in string at offset %d", off)
	}
	return end, nil
}

// readLen reads a big-endian length of 1, 2 or 4 bytes (sizeClass 0, 1, 2).
func readLen(b []byte, off int, sizeClass byte) (int, int, error) {
	width := 1 << sizeClass
	end, err := skipBytes(b, off, width)
	if err != nil {
		return 0, 0, err
	}
	switch width {
	case 1:
		return int(b[off]), end, nil
	case 2:
		return int(binary.BigEndian.Uint16(b[off:])), end, nil
	default:
		return int(binary.BigEndian.Uint32(b[off:])), end, nil
	}
}

// skipBytes returns off+n if that many bytes remain.
func skipBytes(b []byte, off, n int) (int, error) {
	if n > len(b)-off {
		return 0, invalidf("declared %d bytes at offset %d but only %d remain", n, off, len(b)-off)
	}
	return off + n, nil
}

// validateObject checks that raw holds exactly one msgpack object.
func validateObject(raw []byte, maxDepth int) error {
	end, err := scanValue(raw, 0, 0, maxDepth)
	if err != nil {
		return err
	}
	if end != len(raw) {
		return invalidf("%d trailing byte(s) after the object", len(raw)-end)
	}
	return nil
}
