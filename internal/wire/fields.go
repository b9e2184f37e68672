package wire

import "errors"

// MapFields calls fn with each key and value of the msgpack map raw, in
// wire order, as views of raw (the value as its encoding): how a reader
// walks a map of its own, such as a report's extension (a FieldView's
// Value), without allocating. Keys must be str; nil reads as an empty
// map. An error of fn ends the walk and is returned as is.
func MapFields(raw []byte, fn func(key, value []byte) error) error {
	c := &cursor{b: raw}
	if isNil, err := c.isNil(); err != nil || isNil {
		if err != nil {
			return invalidf("map: %v", err)
		}
		return nil
	}
	n, err := c.mapLen()
	if err != nil {
		return invalidf("map: %v", err)
	}
	for range n {
		key, err := c.str()
		if err != nil {
			return invalidf("map key: %v", err)
		}
		value, err := c.raw()
		if err != nil {
			return invalidf("%s: %v", keyPath("map", string(key)), err)
		}
		if err := fn(key, value); err != nil {
			return err
		}
	}
	return nil
}

// BinBytes returns the content of the msgpack bin or str raw as a view of
// raw; nil reads as nil.
func BinBytes(raw []byte) ([]byte, error) {
	c := &cursor{b: raw}
	b, err := c.bytes()
	if err == nil && c.off != len(raw) {
		err = errors.New("trailing bytes")
	}
	if err != nil {
		return nil, invalidf("bytes: %v", err)
	}
	return b, nil
}
