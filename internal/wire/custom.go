package wire

import "github.com/vmihailenco/msgpack/v5"

// Custom is a message of a type Locust does not define, sent with
// runner.send_message(type, data). Its data is any msgpack value.
type Custom struct {
	// Type is the custom message type.
	Type string
	// Data holds Go values as described for EncodeValue. DecodeCustom fills
	// it as DecodeValue does (maps with non-string keys as map[any]any, bin
	// as []byte).
	Data any
}

// MessageType returns c.Type.
func (c Custom) MessageType() string { return c.Type }

// MarshalData encodes c.Data with EncodeValue.
func (c Custom) MarshalData() (msgpack.RawMessage, error) {
	return EncodeValue(c.Data)
}

// DecodeCustom decodes m as a custom message with plain Go values.
func DecodeCustom(m Message) (Custom, error) {
	v, err := DecodeValue(m.Data)
	if err != nil {
		return Custom{}, err
	}
	return Custom{Type: m.Type, Data: v}, nil
}

// DecodeCustomOrdered decodes m as a custom message with every map as an
// ordered Map, so that re-encoding reproduces the data byte for byte.
func DecodeCustomOrdered(m Message) (Custom, error) {
	v, err := DecodeValueOrdered(m.Data)
	if err != nil {
		return Custom{}, err
	}
	return Custom{Type: m.Type, Data: v}, nil
}
