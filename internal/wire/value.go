package wire

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// Map is a msgpack map that keeps its wire order. DecodeValueOrdered
// returns maps as Map, and EncodeValue writes a Map in its order, which is
// how a custom message or parsed options are re-encoded byte for byte.
type Map []MapItem

// MapItem is one key/value pair of a Map.
type MapItem struct {
	// Key is the key: string, int64, uint64, float64, bool or nil when
	// decoded.
	Key any
	// Value is the value, as DecodeValueOrdered returns it.
	Value any
}

// Get returns the value of the first item whose key equals key. Keys of
// types that cannot be compared never match.
func (m Map) Get(key any) (any, bool) {
	if key != nil && !reflect.TypeOf(key).Comparable() {
		return nil, false
	}
	for _, it := range m {
		if it.Key != nil && !reflect.TypeOf(it.Key).Comparable() {
			continue
		}
		if it.Key == key {
			return it.Value, true
		}
	}
	return nil, false
}

// DecodeValue decodes raw msgpack into plain Go values: nil, bool, int64
// (uint64 above MaxInt64), float64, string, []byte for bin, []any, and
// map[string]any when every key is a string or map[any]any otherwise (keys
// are then string, int64, uint64, float64, bool or nil; as in Python, a
// later duplicate key replaces an earlier one). Maps such as Locust's
// {"__datetime__": true, "as_str": ...} are left as maps.
func DecodeValue(raw msgpack.RawMessage) (any, error) {
	return decodeValue(raw, false)
}

// DecodeValueOrdered is DecodeValue with every map returned as a Map in wire
// order, so that EncodeValue reproduces the input exactly.
func DecodeValueOrdered(raw msgpack.RawMessage) (any, error) {
	return decodeValue(raw, true)
}

// decodeValue validates raw and decodes it.
func decodeValue(raw msgpack.RawMessage, ordered bool) (any, error) {
	r, err := newReader(raw)
	if err != nil {
		return nil, err
	}
	return r.value("data", ordered)
}

// value decodes one object into Go values (see DecodeValue).
func (r *reader) value(path string, ordered bool) (any, error) {
	c, err := r.peek(path)
	if err != nil {
		return nil, err
	}
	switch kindOf(c) {
	case "nil":
		return nil, r.d.DecodeNil()
	case "bool":
		return r.d.DecodeBool()
	case "integer":
		if c == 0xcf {
			u, err := r.d.DecodeUint64()
			if err == nil && u <= math.MaxInt64 {
				return int64(u), nil
			}
			return u, err
		}
		return r.d.DecodeInt64()
	case "float":
		return r.d.DecodeFloat64()
	case "str":
		return r.d.DecodeString()
	case "bin":
		return r.d.DecodeBytes()
	case "array":
		n, err := r.arrayLen(path)
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, n)
		for range n {
			v, err := r.value(path+"[]", ordered)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "map":
		return r.mapValue(path, ordered)
	}
	return nil, invalidf("%s: unsupported msgpack %s", path, kindOf(c))
}

// mapValue decodes a map (see DecodeValue).
func (r *reader) mapValue(path string, ordered bool) (any, error) {
	n, err := r.mapLen(path)
	if err != nil {
		return nil, err
	}
	items := make(Map, 0, n)
	allStrings := true
	for range n {
		k, err := r.value(path+" key", ordered)
		if err != nil {
			return nil, err
		}
		switch k.(type) {
		case string:
		case nil, bool, int64, uint64, float64:
			allStrings = false
		default:
			// Python cannot hash a list or dict key either; bytes keys
			// would not be comparable in Go.
			return nil, invalidf("%s: unsupported map key of type %T", path, k)
		}
		v, err := r.value(keyPath(path, k), ordered)
		if err != nil {
			return nil, err
		}
		items = append(items, MapItem{Key: k, Value: v})
	}
	if ordered {
		return items, nil
	}
	if allStrings {
		m := make(map[string]any, len(items))
		for _, it := range items {
			m[it.Key.(string)] = it.Value
		}
		return m, nil
	}
	m := make(map[any]any, len(items))
	for _, it := range items {
		m[it.Key] = it.Value
	}
	return m, nil
}

// EncodeValue encodes a Go value the way msgpack-python packs the
// equivalent Python value. Supported: nil, bool, all integer types, float32
// and float64 (both as float64), string (str), []byte (bin), Number,
// msgpack.RawMessage (copied after validation), []any, []string, []int,
// []int64, []float64, Map (in its order), map[string]any,
// map[string]string, map[string]int, map[string]int64, map[string]float64
// and map[any]any (Go maps with their keys sorted, so the output is
// deterministic). Anything else, a cycle or nesting beyond DefaultMaxDepth
// is an error.
func EncodeValue(v any) (msgpack.RawMessage, error) {
	w := newWriter()
	w.value(v, 0)
	return w.raw()
}

// value writes v (see EncodeValue).
func (w *writer) value(v any, depth int) {
	if w.err != nil {
		return
	}
	if depth > DefaultMaxDepth {
		w.fail(fmt.Errorf("wire: value nested deeper than %d (a cycle?)", DefaultMaxDepth))
		return
	}
	switch x := v.(type) {
	case nil:
		w.null()
	case bool:
		w.bool(x)
	case int:
		w.int(int64(x))
	case int8:
		w.int(int64(x))
	case int16:
		w.int(int64(x))
	case int32:
		w.int(int64(x))
	case int64:
		w.int(x)
	case uint:
		w.uint(uint64(x))
	case uint8:
		w.uint(uint64(x))
	case uint16:
		w.uint(uint64(x))
	case uint32:
		w.uint(uint64(x))
	case uint64:
		w.uint(x)
	case float32:
		w.float(float64(x))
	case float64:
		w.float(x)
	case string:
		w.str(x)
	case []byte:
		w.bin(x)
	case Number:
		w.number(x)
	case msgpack.RawMessage:
		w.rawObject(x)
	case []any:
		writeSlice(w, x, depth)
	case []string:
		writeSlice(w, x, depth)
	case []int:
		writeSlice(w, x, depth)
	case []int64:
		writeSlice(w, x, depth)
	case []float64:
		writeSlice(w, x, depth)
	case Map:
		w.mapLen(len(x))
		for _, it := range x {
			w.value(it.Key, depth+1)
			w.value(it.Value, depth+1)
		}
	case map[string]any:
		writeStringMap(w, x, depth)
	case map[string]string:
		writeStringMap(w, x, depth)
	case map[string]int:
		writeStringMap(w, x, depth)
	case map[string]int64:
		writeStringMap(w, x, depth)
	case map[string]float64:
		writeStringMap(w, x, depth)
	case map[any]any:
		keys := make([]any, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareKeys)
		w.mapLen(len(keys))
		for _, k := range keys {
			w.value(k, depth+1)
			w.value(x[k], depth+1)
		}
	default:
		w.fail(fmt.Errorf("wire: cannot encode value of type %T", v))
	}
}

// writeSlice writes a slice as an array.
func writeSlice[T any](w *writer, s []T, depth int) {
	w.arrayLen(len(s))
	for _, v := range s {
		w.value(v, depth+1)
	}
}

// writeStringMap writes a string-keyed map with sorted keys.
func writeStringMap[V any](w *writer, m map[string]V, depth int) {
	keys := sortedKeys(m)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		w.value(m[k], depth+1)
	}
}

// compareKeys orders map keys of mixed types: by type name, then value.
func compareKeys(a, b any) int {
	ta, tb := fmt.Sprintf("%T", a), fmt.Sprintf("%T", b)
	if ta != tb {
		return cmp.Compare(ta, tb)
	}
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int:
		return cmp.Compare(x, b.(int))
	case int64:
		return cmp.Compare(x, b.(int64))
	case uint64:
		return cmp.Compare(x, b.(uint64))
	case float64:
		return cmp.Compare(x, b.(float64))
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
