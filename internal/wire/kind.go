package wire

// kindOf names the msgpack family of code c for error messages.
func kindOf(c byte) string {
	switch {
	case c <= 0x7f || c >= 0xe0:
		return "integer"
	case c >= 0x80 && c <= 0x8f:
		return "map"
	case c >= 0x90 && c <= 0x9f:
		return "array"
	case c >= 0xa0 && c <= 0xbf:
		return "str"
	}
	switch c {
	case 0xc0:
		return "nil"
	case 0xc2, 0xc3:
		return "bool"
	case 0xc4, 0xc5, 0xc6:
		return "bin"
	case 0xca, 0xcb:
		return "float"
	case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
		return "integer"
	case 0xd9, 0xda, 0xdb:
		return "str"
	case 0xdc, 0xdd:
		return "array"
	case 0xde, 0xdf:
		return "map"
	}
	return "ext"
}

// isInt reports whether c starts a msgpack integer.
func isInt(c byte) bool { return kindOf(c) == "integer" }

// isFloat reports whether c starts a msgpack float32 or float64.
func isFloat(c byte) bool { return c == 0xca || c == 0xcb }
