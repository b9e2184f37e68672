package wire

import "github.com/vmihailenco/msgpack/v5"

// Exception is the data of exception (worker to master): an unhandled
// error in a user task. The master groups them by Traceback.
type Exception struct {
	// Msg is str(exception).
	Msg string
	// Traceback is the formatted traceback (or herd's equivalent).
	Traceback string
}

// MessageType returns TypeException.
func (Exception) MessageType() string { return TypeException }

// MarshalData encodes {"msg", "traceback"}.
func (e Exception) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	w.mapLen(2)
	w.str("msg")
	w.str(e.Msg)
	w.str("traceback")
	w.str(e.Traceback)
	return w.raw()
}

// DecodeException decodes exception data; both keys are required.
func DecodeException(data msgpack.RawMessage) (Exception, error) {
	r, err := newReader(data)
	if err != nil {
		return Exception{}, err
	}
	var e Exception
	var seen keySet
	err = r.fields("exception", func(key string) error {
		var err error
		switch key {
		case "msg":
			e.Msg, err = r.str("exception.msg")
		case "traceback":
			e.Traceback, err = r.str("exception.traceback")
		default:
			return r.skip(keyPath("exception", key))
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return Exception{}, err
	}
	if !seen.has("msg", "traceback") {
		return Exception{}, invalidf("exception: want msg and traceback")
	}
	return e, nil
}
