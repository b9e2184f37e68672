package wire

import "github.com/vmihailenco/msgpack/v5"

// Ack is the data of ack (master to worker): the worker's stable 0-based
// index. Masters 2.10.x send nil or no index; HasIndex is then false.
type Ack struct {
	// Index is the worker index.
	Index int
	// HasIndex reports whether the data carried an index.
	HasIndex bool
}

// MessageType returns TypeAck.
func (Ack) MessageType() string { return TypeAck }

// MarshalData encodes {"index": Index}.
func (a Ack) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	w.mapLen(1)
	w.str("index")
	w.int(int64(a.Index))
	return w.raw()
}

// DecodeAck decodes ack data: {"index": int}, a map without index, or nil.
func DecodeAck(data msgpack.RawMessage) (Ack, error) {
	r, err := newReader(data)
	if err != nil {
		return Ack{}, err
	}
	if isNil, err := r.isNil("ack"); err != nil || isNil {
		return Ack{}, err
	}
	var a Ack
	err = r.fields("ack", func(key string) error {
		if key != "index" {
			return r.skip(keyPath("ack", key))
		}
		index, err := r.int("ack.index")
		a.Index, a.HasIndex = index, err == nil
		return err
	})
	return a, err
}
