package wire

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Message is one Locust protocol message: the msgpack array
// [type, data, node_id] carried by one ZeroMQ frame.
type Message struct {
	// Type is the message type, e.g. TypeHeartbeat or a custom type.
	Type string
	// Data is the encoded data element, exactly as on the wire; decode it
	// with the Decode<Type> function for Type, or DecodeValue. Empty means
	// nil when encoding.
	Data msgpack.RawMessage
	// NodeID is the sender's node id (worker to master) or the destination
	// worker's id (master to worker).
	NodeID string
}

// nilData is the encoding of msgpack nil.
var nilData = msgpack.RawMessage{0xc0}

// Empty returns a message of type typ with nil data, such as spawning,
// stop, quit, client_stopped, reconnect or a master's heartbeat.
func Empty(typ, nodeID string) Message {
	return Message{Type: typ, Data: nilData, NodeID: nodeID}
}

// HasNilData reports whether m's data is nil (or empty).
func (m Message) HasNilData() bool {
	return len(m.Data) == 0 || (len(m.Data) == 1 && m.Data[0] == 0xc0)
}

// String describes m for logs without its data.
func (m Message) String() string {
	return fmt.Sprintf("<Message %s:%s (%d data bytes)>", m.Type, m.NodeID, len(m.Data))
}

// Encode encodes m as one frame: a fixarray of the type (str), the data
// (copied as is after checking it is exactly one valid msgpack object) and
// the node id (str). Type and node id must be valid UTF-8.
func Encode(m Message) ([]byte, error) {
	w := newWriter()
	w.arrayLen(3)
	w.str(m.Type)
	w.rawObject(m.Data)
	w.str(m.NodeID)
	return w.bytes()
}

// Decode decodes one frame with DefaultLimits.
func Decode(frame []byte) (Message, error) {
	return DefaultLimits.Decode(frame)
}

// Decode decodes one frame: a msgpack array of exactly three elements, a
// str type, any data and a str node id, with nothing after it. Data is
// validated (lengths, nesting, UTF-8, no ext types) and copied, so the
// frame may be reused afterwards.
func (l Limits) Decode(frame []byte) (Message, error) {
	m, err := l.DecodeView(frame)
	if err == nil {
		m.Data = append(msgpack.RawMessage(make([]byte, 0, len(m.Data))), m.Data...)
	}
	return m, err
}

// DecodeView is Decode without the copy: the message's Data is a view of
// frame, valid as long as frame is not changed. It suits a reader that
// owns its frames, such as a master that saves copying every report.
func (l Limits) DecodeView(frame []byte) (Message, error) {
	if len(frame) > l.frameSize() {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(frame), l.frameSize())
	}
	if len(frame) == 0 {
		return Message{}, invalidf("empty frame")
	}
	n, off, err := envelopeLen(frame)
	if err != nil {
		return Message{}, err
	}
	if n != 3 {
		return Message{}, invalidf("envelope has %d elements, want 3", n)
	}
	typ, off, err := envelopeString(frame, off, "type", l.depth())
	if err != nil {
		return Message{}, err
	}
	dataStart := off
	if off, err = scanValue(frame, off, 1, l.depth()); err != nil {
		return Message{}, err
	}
	dataEnd := off
	nodeID, off, err := envelopeString(frame, off, "node_id", l.depth())
	if err != nil {
		return Message{}, err
	}
	if off != len(frame) {
		return Message{}, fmt.Errorf("%w: %d byte(s) after the message at offset %d", ErrTrailingData, len(frame)-off, off)
	}
	return Message{Type: typ, Data: frame[dataStart:dataEnd:dataEnd], NodeID: nodeID}, nil
}

// envelopeLen reads the array header that opens a frame.
func envelopeLen(frame []byte) (int, int, error) {
	c := frame[0]
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), 1, nil
	case c == 0xdc || c == 0xdd:
		return readLen(frame, 1, c-0xdc+1)
	}
	return 0, 0, invalidf("frame is a msgpack %s, want a 3-element array", kindOf(c))
}

// envelopeString reads the type or node id element, which must be a str.
func envelopeString(frame []byte, off int, name string, maxDepth int) (string, int, error) {
	if off >= len(frame) {
		return "", 0, invalidf("truncated frame: missing %s", name)
	}
	if kind := kindOf(frame[off]); kind != "str" {
		return "", 0, invalidf("%s is a msgpack %s, want str", name, kind)
	}
	end, err := scanValue(frame, off, 1, maxDepth)
	if err != nil {
		return "", 0, err
	}
	// Skip the str header: fixstr 1 byte, str8 2, str16 3, str32 5.
	start := off + 1
	switch frame[off] {
	case 0xd9:
		start += 1
	case 0xda:
		start += 2
	case 0xdb:
		start += 4
	}
	return string(frame[start:end]), end, nil
}
