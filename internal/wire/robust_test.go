package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestDecodeRejects feeds malformed frames; each must fail with ErrInvalid
// (or the named sentinel) and none may panic.
func TestDecodeRejects(t *testing.T) {
	id := "\xa1w"
	for _, c := range []struct {
		name  string
		frame string
		want  error
	}{
		{"empty", "", ErrInvalid},
		{"map envelope", "\x81\xa1a\xc0", ErrInvalid},
		{"two elements", "\x92\xa4stop\xc0", ErrInvalid},
		{"four elements", "\x94\xa4stop\xc0" + id + "\xc0", ErrInvalid},
		{"int type", "\x93\x01\xc0" + id, ErrInvalid},
		{"bin type", "\x93\xc4\x04stop\xc0" + id, ErrInvalid},
		{"nil node id", "\x93\xa4stop\xc0\xc0", ErrInvalid},
		{"int node id", "\x93\xa4stop\xc0\x05", ErrInvalid},
		{"truncated data", "\x93\xa4stop\x92\x01", ErrInvalid},
		{"missing node id", "\x93\xa4stop\xc0", ErrInvalid},
		{"trailing byte", "\x93\xa4stop\xc0" + id + "\x00", ErrTrailingData},
		{"two messages", "\x93\xa4stop\xc0" + id + "\x93\xa4stop\xc0" + id, ErrTrailingData},
		{"bad utf-8 type", "\x93\xa2\xff\xfe\xc0" + id, ErrInvalid},
		{"bad utf-8 data", "\x93\xa4stop\xa1\xff" + id, ErrInvalid},
		{"bad utf-8 id", "\x93\xa4stop\xc0\xa1\x80", ErrInvalid},
		{"ext data", "\x93\xa4stop\xd4\x01\x00" + id, ErrInvalid},
		{"reserved 0xc1", "\x93\xa4stop\xc1" + id, ErrInvalid},
		{"huge str32", "\x93\xa4stop\xdb\xff\xff\xff\xff" + id, ErrInvalid},
		{"huge bin32", "\x93\xa4stop\xc6\xff\xff\xff\xff" + id, ErrInvalid},
		{"huge array32", "\x93\xa4stop\xdd\xff\xff\xff\xff" + id, ErrInvalid},
		{"huge map32", "\x93\xa4stop\xdf\xff\xff\xff\xff" + id, ErrInvalid},
		{"huge envelope", "\xdd\xff\xff\xff\xff", ErrInvalid},
		{"deep nesting", "\x93\xa4stop" + strings.Repeat("\x91", 200) + "\xc0" + id, ErrInvalid},
		{"short uint64", "\x93\xa4stop\xcf\x00" + id, ErrInvalid},
	} {
		_, err := Decode([]byte(c.frame))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Decode = %v, want %v", c.name, err, c.want)
		}
	}

	big := bytes.Repeat([]byte{0x91}, 1<<20)
	if _, err := Decode(big); !errors.Is(err, ErrInvalid) {
		t.Errorf("1 MiB of nested arrays: %v", err)
	}
	lim := Limits{MaxFrameSize: 10}
	if _, err := lim.Decode([]byte("\x93\xa4stop\xc0\xa5hello")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("frame over cap: %v", err)
	}
	deep := Limits{MaxDepth: 3}
	if _, err := deep.Decode([]byte("\x93\xa4stop\x91\x91\x91\xc0" + id)); !errors.Is(err, ErrInvalid) {
		t.Errorf("nesting over a custom cap: %v", err)
	}
	if _, err := deep.Decode([]byte("\x93\xa4stop\x91\x91\xc0" + id)); err != nil {
		t.Errorf("nesting within a custom cap: %v", err)
	}
	if _, err := Decode([]byte("\xdc\x00\x03\xa4stop\xc0" + id)); err != nil {
		t.Errorf("array16 envelope: %v", err)
	}
}

// TestTypedDecodersReject checks wrong field types in every typed decoder.
func TestTypedDecodersReject(t *testing.T) {
	enc := func(v any) msgpack.RawMessage {
		raw, err := EncodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	entry := func(key string, val any) Map {
		m := Map{{"name", "/"}, {"method", "GET"}}
		return append(m, MapItem{key, val})
	}
	report := func(e Map) msgpack.RawMessage {
		return enc(Map{{"stats", []any{e}}, {"stats_total", entry("x", 1)}})
	}
	for name, decode := range map[string]func() error{
		"heartbeat list": func() error { _, err := DecodeHeartbeat(enc([]any{1})); return err },
		"heartbeat cpu str": func() error {
			_, err := DecodeHeartbeat(enc(Map{{"state", "ready"}, {"current_cpu_usage", "1"}}))
			return err
		},
		"heartbeat memory float": func() error {
			_, err := DecodeHeartbeat(enc(Map{{"state", "ready"}, {"current_cpu_usage", 1}, {"current_memory_usage", 1.5}}))
			return err
		},
		"spawn counts float": func() error {
			_, err := DecodeSpawn(enc(Map{{"timestamp", 1.0}, {"user_classes_count", Map{{"U", 1.0}}}, {"host", nil}, {"stop_timeout", nil}, {"parsed_options", Map{}}}))
			return err
		},
		"spawn host int": func() error {
			_, err := DecodeSpawn(enc(Map{{"timestamp", 1.0}, {"user_classes_count", Map{}}, {"host", 1}, {"stop_timeout", nil}, {"parsed_options", Map{}}}))
			return err
		},
		"spawn options list": func() error {
			_, err := DecodeSpawn(enc(Map{{"timestamp", 1.0}, {"user_classes_count", Map{}}, {"host", nil}, {"stop_timeout", nil}, {"parsed_options", []any{}}}))
			return err
		},
		"stats nil":            func() error { _, err := DecodeStatsReport(enc(nil)); return err },
		"stats missing total":  func() error { _, err := DecodeStatsReport(enc(Map{{"stats", []any{}}})); return err },
		"entry without method": func() error { _, err := DecodeStatsReport(report(Map{{"name", "/"}})); return err },
		"entry requests float": func() error { _, err := DecodeStatsReport(report(entry("num_requests", 1.0))); return err },
		"entry min str":        func() error { _, err := DecodeStatsReport(report(entry("min_response_time", "1"))); return err },
		"entry rt key str":     func() error { _, err := DecodeStatsReport(report(entry("response_times", Map{{"1", 1}}))); return err },
		"entry rps key float": func() error {
			_, err := DecodeStatsReport(report(entry("num_reqs_per_sec", Map{{1.5, 1}})))
			return err
		},
		"entry huge uint64": func() error { _, err := DecodeStatsReport(report(entry("num_requests", uint64(1<<63)))); return err },
		"entry method bin": func() error {
			_, err := DecodeStatsReport(report(entry("x", 0)[:1].withMethod([]byte("GET"))))
			return err
		},
		"errors list": func() error {
			_, err := DecodeStatsReport(enc(Map{{"stats", []any{}}, {"stats_total", entry("x", 1)}, {"errors", []any{}}}))
			return err
		},
		"error missing": func() error {
			_, err := DecodeStatsReport(enc(Map{{"stats", []any{}}, {"stats_total", entry("x", 1)}, {"errors", Map{{"k", Map{{"name", "/"}}}}}}))
			return err
		},
		"exception missing":     func() error { _, err := DecodeException(enc(Map{{"msg", "m"}})); return err },
		"logs not strings":      func() error { _, err := DecodeLogs(enc(Map{{"worker_id", "w"}, {"logs", []any{1}}})); return err },
		"spawning_complete nil": func() error { _, err := DecodeSpawningComplete(enc(nil)); return err },
		"update without name":   func() error { _, err := DecodeUpdateUserClass(enc(Map{{"weight", 1}})); return err },
		"locustfile empty map":  func() error { _, err := DecodeLocustfileReply(enc(Map{})); return err },
		"custom list key":       func() error { _, err := DecodeValue([]byte{0x81, 0x91, 0x01, 0x01}); return err },
		"custom bin key":        func() error { _, err := DecodeValue([]byte{0x81, 0xc4, 0x01, 0x01, 0x01}); return err },
		"raw trailing":          func() error { _, err := DecodeValue([]byte{0x01, 0x01}); return err },
		"raw empty":             func() error { _, err := DecodeAck(nil); return err },
	} {
		if err := decode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// withMethod replaces the method of an entry built by entry().
func (m Map) withMethod(v any) Map {
	return append(m, MapItem{"method", v})
}

// TestEncodeRejects checks what Encode refuses to write.
func TestEncodeRejects(t *testing.T) {
	for name, f := range map[string]func() error{
		"bad utf-8 type": func() error { _, err := Encode(Message{Type: "\xff", NodeID: "w"}); return err },
		"bad utf-8 id":   func() error { _, err := Encode(Message{Type: "stop", NodeID: "\xff"}); return err },
		"two objects":    func() error { _, err := Encode(Message{Type: "x", Data: []byte{1, 2}}); return err },
		"bad heartbeat":  func() error { _, err := EncodePayload("w", Heartbeat{State: "\xc3"}); return err },
		"chan in custom": func() error { _, err := EncodePayload("w", Custom{Type: "x", Data: make(chan int)}); return err },
		"cycle": func() error {
			m := map[string]any{}
			m["self"] = m
			_, err := EncodeValue(m)
			return err
		},
		"legacy two files": func() error {
			_, err := LocustfileReply{Legacy: true, Files: make([]LocustfileSource, 2)}.MarshalData()
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if b, err := Encode(Message{Type: "stop", NodeID: "w"}); err != nil || !bytes.Equal(b, []byte("\x93\xa4stop\xc0\xa1w")) {
		t.Errorf("empty Data = % x, %v", b, err)
	}
}

// TestMutatedVectors flips random bytes of every vector and decodes the
// result with every decoder: errors are fine, panics are not.
func TestMutatedVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range loadVectors(t) {
		for i := range len(v.bin) { // every truncation
			decodeAll(v.bin[:i])
		}
		for range 300 {
			b := bytes.Clone(v.bin)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.UintN(256))
			}
			decodeAll(b)
		}
	}
}

// decodeAll runs every decoder on frame and checks round-trip invariants.
func decodeAll(frame []byte) {
	m, err := Decode(frame)
	if err != nil {
		return
	}
	_, _ = DecodePayload(m)
	_, _ = DecodeClientReady(m.Data)
	_, _ = DecodeAck(m.Data)
	_, _ = DecodeHeartbeat(m.Data)
	_, _ = DecodeSpawn(m.Data)
	_, _ = DecodeSpawningComplete(m.Data)
	_, _ = DecodeStatsReport(m.Data)
	_, _ = DecodeException(m.Data)
	_, _ = DecodeLogs(m.Data)
	_, _ = DecodeUpdateUserClass(m.Data)
	_, _ = DecodeLocustfileRequest(m.Data)
	_, _ = DecodeLocustfileReply(m.Data)
	_, _ = DecodeCustom(m)
	_, _ = DecodeCustomOrdered(m)
}

// TestNoAmplification decodes nested maps with long keys: memory use must
// stay proportional to the frame (error paths are built from shortened
// keys, not from whole keys at every level).
func TestNoAmplification(t *testing.T) {
	key := strings.Repeat("k", 60000)
	data := []byte{}
	for range 90 {
		data = append(data, 0x81, 0xda, byte(len(key)>>8), byte(len(key)))
		data = append(data, key...)
	}
	data = append(data, 0xc1) // invalid at the bottom: forces the error path
	frame := append([]byte("\x93\xa1x"), data...)
	frame = append(frame, "\xa1w"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := DecodeValue(data); err == nil {
		t.Fatal("invalid value accepted")
	}
	data[len(data)-1] = 0xc0
	if _, err := DecodeValue(data); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(frame); err == nil {
		t.Fatal("invalid frame accepted")
	}
	runtime.ReadMemStats(&after)
	if used := after.TotalAlloc - before.TotalAlloc; used > uint64(10*len(data)) {
		t.Errorf("decoding %d bytes allocated %d", len(data), used)
	}
}
