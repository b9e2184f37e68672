package herd

import "math"

// A worker's custom report data (OnWorkerReport) and a custom message's
// Data arrive as msgpack carried them: a number is an int64, a uint64
// above the int64 range, or a float64, whichever the sender encoded (a
// Python worker's 3.0 is a float64, a herd worker's int is an int64). The
// Report* functions read a key of such data as one Go type, so that
// summing workers' values takes no type switch.

// ReportInt returns data[key] as an int64: an integer of any width, or a
// float64 with an integral value in the int64 range (Python's 3.0). It
// reports false for a missing key, another type, a fraction or a value out
// of range.
func ReportInt(data map[string]any, key string) (int64, bool) {
	switch v := data[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case uint:
		if uint64(v) > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint8:
		return int64(v), true
	case float64:
		return floatInt(v)
	case float32:
		return floatInt(float64(v))
	}
	return 0, false
}

// floatInt is f as an int64 when it is integral and in range.
func floatInt(f float64) (int64, bool) {
	// -2^63 is exact as a float64; 2^63 is the first value out of range.
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// ReportFloat returns data[key] as a float64: any number (an integer
// rounded to the nearest float64). It reports false for a missing key or
// another type.
func ReportFloat(data map[string]any, key string) (float64, bool) {
	switch v := data[key].(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint:
		return float64(v), true
	}
	if n, ok := ReportInt(data, key); ok {
		return float64(n), true
	}
	return 0, false
}

// ReportString returns data[key] as a string: a string, or msgpack's bin
// ([]byte, what a Python worker's bytes become). It reports false for a
// missing key or another type.
func ReportString(data map[string]any, key string) (string, bool) {
	switch v := data[key].(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// ReportMap returns data[key] as a map with string keys, to read with the
// Report* functions in turn (a worker's per-endpoint sums). It reports
// false for a missing key, another type, or a map with a key that is not
// a string (msgpack decodes those as map[any]any).
func ReportMap(data map[string]any, key string) (map[string]any, bool) {
	m, ok := data[key].(map[string]any)
	return m, ok
}
