package wire

import (
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// Spawn is the data of spawn (master to worker): the absolute per-class
// user target for one worker (locust-wire.md 4.2).
type Spawn struct {
	// Timestamp is the master's time.time() when it built the message;
	// strictly increasing per worker.
	Timestamp float64
	// UserClassesCount is the target per user class, zeros included.
	UserClassesCount map[string]int
	// Host is the master's host, nil if unset.
	Host *string
	// StopTimeout is nil or a number of seconds: an int in 2.12.1 (nil when
	// not given), a float since 2.13 (default 0.0). Workers read nil as 0.
	StopTimeout *Number
	// ParsedOptions are the master's command-line options (dest names) with
	// plain Go values as from DecodeValue; {} when the master has none.
	ParsedOptions map[string]any
	// ParsedOptionsOrder is the wire order of ParsedOptions' keys.
	// MarshalData writes these keys first, in this order, then any other keys
	// of ParsedOptions sorted; DecodeSpawn fills it in.
	ParsedOptionsOrder []string
	// Extra holds keys beyond Locust's five, as raw msgpack: a herd
	// master's extension (key "herd") for herd workers. Locust workers
	// read only the five keys and ignore the rest. Encoded after the five
	// standard keys, sorted.
	Extra map[string]msgpack.RawMessage
}

// spawnKeys are the keys Locust writes in a spawn.
var spawnKeys = map[string]bool{"timestamp": true, "user_classes_count": true, "host": true,
	"stop_timeout": true, "parsed_options": true}

// MessageType returns TypeSpawn.
func (Spawn) MessageType() string { return TypeSpawn }

// MarshalData encodes the five keys in Locust's order, then Extra.
// user_classes_count is written with its keys sorted, as Locust's
// dispatcher orders classes.
func (s Spawn) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	extra := sortedKeys(s.Extra)
	w.mapLen(5 + len(extra))
	w.str("timestamp")
	w.float(s.Timestamp)
	w.str("user_classes_count")
	w.countMap(s.UserClassesCount)
	w.str("host")
	w.strOrNil(s.Host)
	w.str("stop_timeout")
	w.numberOrNil(s.StopTimeout)
	w.str("parsed_options")
	keys := orderedKeys(s.ParsedOptions, s.ParsedOptionsOrder)
	w.mapLen(len(keys))
	for _, k := range keys {
		w.str(k)
		w.value(s.ParsedOptions[k], 1)
	}
	for _, k := range extra {
		if spawnKeys[k] {
			w.fail(invalidf("spawn: Extra key %q shadows a standard key", k))
		}
		w.str(k)
		w.rawObject(s.Extra[k])
	}
	return w.raw()
}

// orderedKeys returns the keys of m: those listed in order first (once
// each), then the rest sorted.
func orderedKeys(m map[string]any, order []string) []string {
	keys := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	for _, k := range order {
		if _, ok := m[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rest := make([]string, 0, len(m)-len(keys))
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// DecodeSpawn decodes spawn data. All five keys are required, as a real
// worker requires them; other keys go to Extra.
func DecodeSpawn(data msgpack.RawMessage) (Spawn, error) {
	r, err := newReader(data)
	if err != nil {
		return Spawn{}, err
	}
	var s Spawn
	var seen keySet
	err = r.fields("spawn", func(key string) error {
		var err error
		switch key {
		case "timestamp":
			s.Timestamp, err = r.float("spawn.timestamp")
		case "user_classes_count":
			s.UserClassesCount, err = r.countMap("spawn.user_classes_count")
		case "host":
			s.Host, err = r.strOrNil("spawn.host")
		case "stop_timeout":
			s.StopTimeout, err = r.numberOrNil("spawn.stop_timeout")
		case "parsed_options":
			err = s.decodeOptions(r)
		default:
			var raw msgpack.RawMessage
			if raw, err = r.raw(keyPath("spawn", key)); err == nil {
				if s.Extra == nil {
					s.Extra = map[string]msgpack.RawMessage{}
				}
				s.Extra[key] = raw
			}
			return err
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return Spawn{}, err
	}
	if !seen.has("timestamp", "user_classes_count", "host", "stop_timeout", "parsed_options") {
		return Spawn{}, invalidf("spawn: want timestamp, user_classes_count, host, stop_timeout and parsed_options")
	}
	return s, nil
}

// decodeOptions reads parsed_options into s, keeping the key order.
func (s *Spawn) decodeOptions(r *reader) error {
	s.ParsedOptions = map[string]any{}
	s.ParsedOptionsOrder = nil
	return r.fields("spawn.parsed_options", func(key string) error {
		v, err := r.value(keyPath("spawn.parsed_options", key), false)
		if err != nil {
			return err
		}
		if _, dup := s.ParsedOptions[key]; !dup {
			s.ParsedOptionsOrder = append(s.ParsedOptionsOrder, key)
		}
		s.ParsedOptions[key] = v
		return nil
	})
}
