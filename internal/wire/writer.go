package wire

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// writer encodes msgpack the way msgpack-python's packb does by default:
// text as str (never bin), integers in their smallest format, floats as
// float64, container headers in their smallest format. The first error
// sticks; later calls are no-ops, so encoders read as straight key lists.
type writer struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
	err error
}

// newWriter returns an empty writer.
func newWriter() *writer {
	w := &writer{}
	w.enc = msgpack.NewEncoder(&w.buf)
	return w
}

// fail records err unless an error is already recorded.
func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// bytes returns the encoding or the first error.
func (w *writer) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

// raw returns the encoding as a RawMessage or the first error.
func (w *writer) raw() (msgpack.RawMessage, error) {
	b, err := w.bytes()
	return msgpack.RawMessage(b), err
}

// str writes s as a msgpack str; s must be valid UTF-8 (Python's decoder
// rejects anything else).
func (w *writer) str(s string) {
	if w.err != nil {
		return
	}
	if !utf8.ValidString(s) {
		w.fail(fmt.Errorf("wire: string %q is not valid UTF-8", s))
		return
	}
	w.fail(w.enc.EncodeString(s))
}

// strOrNil writes *s or nil.
func (w *writer) strOrNil(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

// int writes n in the smallest msgpack integer format.
func (w *writer) int(n int64) {
	if w.err == nil {
		w.fail(w.enc.EncodeInt(n))
	}
}

// uint writes n in the smallest msgpack integer format.
func (w *writer) uint(n uint64) {
	if w.err == nil {
		w.fail(w.enc.EncodeUint(n))
	}
}

// float writes f as float64.
func (w *writer) float(f float64) {
	if w.err == nil {
		w.fail(w.enc.EncodeFloat64(f))
	}
}

// floatOrNil writes *f or nil.
func (w *writer) floatOrNil(f *float64) {
	if f == nil {
		w.null()
		return
	}
	w.float(*f)
}

// number writes n as an integer or a float64, as it was.
func (w *writer) number(n Number) {
	if n.isFloat {
		w.float(n.f)
		return
	}
	w.int(n.i)
}

// numberOrNil writes *n or nil.
func (w *writer) numberOrNil(n *Number) {
	if n == nil {
		w.null()
		return
	}
	w.number(*n)
}

// bool writes b.
func (w *writer) bool(b bool) {
	if w.err == nil {
		w.fail(w.enc.EncodeBool(b))
	}
}

// null writes nil.
func (w *writer) null() {
	if w.err == nil {
		w.fail(w.enc.EncodeNil())
	}
}

// bin writes b as msgpack bin.
func (w *writer) bin(b []byte) {
	if w.err != nil {
		return
	}
	if err := w.enc.EncodeBytesLen(len(b)); err != nil {
		w.fail(err)
		return
	}
	w.buf.Write(b)
}

// mapLen writes a map header.
func (w *writer) mapLen(n int) {
	if w.err == nil {
		w.fail(w.enc.EncodeMapLen(n))
	}
}

// arrayLen writes an array header.
func (w *writer) arrayLen(n int) {
	if w.err == nil {
		w.fail(w.enc.EncodeArrayLen(n))
	}
}

// rawObject copies one pre-encoded object after checking that it is
// exactly one valid object; an empty raw is written as nil.
func (w *writer) rawObject(raw []byte) {
	if w.err != nil {
		return
	}
	if len(raw) == 0 {
		w.null()
		return
	}
	if err := validateObject(raw, DefaultMaxDepth); err != nil {
		w.fail(fmt.Errorf("wire: raw value: %w", err))
		return
	}
	w.buf.Write(raw)
}

// strings writes an array of str.
func (w *writer) strings(ss []string) {
	w.arrayLen(len(ss))
	for _, s := range ss {
		w.str(s)
	}
}

// countMap writes a map of str to int with keys sorted, which matches
// Locust (its dispatcher orders user classes by name) and is deterministic.
func (w *writer) countMap(m map[string]int) {
	keys := sortedKeys(m)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		w.int(int64(m[k]))
	}
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
