package wire

import "github.com/vmihailenco/msgpack/v5"

// SpawningComplete is the data of spawning_complete. From a worker it
// carries the actual users per class and their sum; from a master (since
// 2.29) only the total target, with UserClassesCount nil.
type SpawningComplete struct {
	// UserClassesCount is users per class; nil for the master's message.
	UserClassesCount map[string]int
	// UserCount is the sum of UserClassesCount, or the master's total.
	UserCount int
}

// MessageType returns TypeSpawningComplete.
func (SpawningComplete) MessageType() string { return TypeSpawningComplete }

// MarshalData encodes {"user_classes_count", "user_count"}, or only
// {"user_count"} when UserClassesCount is nil (the master's form).
func (s SpawningComplete) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	if s.UserClassesCount == nil {
		w.mapLen(1)
	} else {
		w.mapLen(2)
		w.str("user_classes_count")
		w.countMap(s.UserClassesCount)
	}
	w.str("user_count")
	w.int(int64(s.UserCount))
	return w.raw()
}

// DecodeSpawningComplete decodes spawning_complete data; user_count is
// required, user_classes_count optional (absent from the master's form),
// other keys (boomer's "count") are ignored.
func DecodeSpawningComplete(data msgpack.RawMessage) (SpawningComplete, error) {
	r, err := newReader(data)
	if err != nil {
		return SpawningComplete{}, err
	}
	var s SpawningComplete
	var seen keySet
	err = r.fields("spawning_complete", func(key string) error {
		var err error
		switch key {
		case "user_classes_count":
			s.UserClassesCount, err = r.countMap("spawning_complete.user_classes_count")
		case "user_count":
			s.UserCount, err = r.int("spawning_complete.user_count")
		default:
			return r.skip(keyPath("spawning_complete", key))
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return SpawningComplete{}, err
	}
	if !seen.has("user_count") {
		return SpawningComplete{}, invalidf("spawning_complete: missing user_count")
	}
	return s, nil
}
