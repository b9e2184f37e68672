package wire

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode decodes arbitrary frames with the envelope decoder and every
// typed decoder, seeded with all captured vectors. Beyond "no panic" it
// checks that whatever decodes also re-encodes to something that decodes
// to the same message, and that typed payloads reach a fixed point after
// one encode/decode cycle.
func FuzzDecode(f *testing.F) {
	for _, dir := range vectorDirs {
		bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
		for _, bin := range bins {
			b, err := os.ReadFile(bin)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("\x93\xa4stop\xc0\xa1w"))
	f.Add([]byte("\x93\xacclient_ready\xff\xa1w"))
	f.Add([]byte("\x93\xa1x\xdd\xff\xff\xff\xff\xa1w"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		decodeAll(frame)
		m, err := Decode(frame)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode(Decode(frame)): %v", err)
		}
		m2, err := Decode(again)
		if err != nil || m2.Type != m.Type || m2.NodeID != m.NodeID || !bytes.Equal(m2.Data, m.Data) {
			t.Fatalf("envelope round trip: %v", err)
		}
		checkValueFixpoint(t, m)
		if p, err := DecodePayload(m); err == nil {
			checkPayloadFixpoint(t, m, p)
		}
		// The master's lean decoder never panics, and accepts what the full
		// one accepts (it may accept more: it does not check the skipped
		// response_times beyond their msgpack syntax).
		full, errFull := DecodeStatsReport(m.Data)
		lean, errLean := DecodeStatsReportExact(m.Data, "herd")
		if errFull == nil && (errLean != nil || len(full.Stats) != len(lean.Stats) || full.UserCount != lean.UserCount) {
			t.Fatalf("lean decode differs: %+v, %v / %+v", full, lean, errLean)
		}
	})
}

// checkValueFixpoint: ordered values re-encode stably.
func checkValueFixpoint(t *testing.T, m Message) {
	v, err := DecodeValueOrdered(m.Data)
	if _, err2 := DecodeValue(m.Data); (err == nil) != (err2 == nil) {
		t.Fatalf("DecodeValue and DecodeValueOrdered disagree: %v / %v", err, err2)
	}
	if err != nil {
		return // e.g. a list as a map key: valid msgpack, no Go (or Python) value
	}
	raw1, err := EncodeValue(v)
	if err != nil {
		t.Fatalf("EncodeValue(decoded): %v", err)
	}
	v2, err := DecodeValueOrdered(raw1)
	if err != nil {
		t.Fatalf("re-decode: %v", err)
	}
	raw2, err := EncodeValue(v2)
	if err != nil || !bytes.Equal(raw1, raw2) {
		t.Fatalf("value encoding is not stable: %v", err)
	}
}

// checkPayloadFixpoint: a decoded payload encodes, and the encoding decodes
// to a payload that encodes identically.
func checkPayloadFixpoint(t *testing.T, m Message, p Payload) {
	raw1, err := p.MarshalData()
	if err != nil {
		t.Fatalf("%T: MarshalData of a decoded payload: %v", p, err)
	}
	m1 := Message{Type: m.Type, Data: raw1, NodeID: m.NodeID}
	p2, err := DecodePayload(m1)
	if err != nil {
		t.Fatalf("%T: decoding its own encoding: %v", p, err)
	}
	if reflect.TypeOf(p2) != reflect.TypeOf(p) {
		t.Fatalf("payload type changed: %T -> %T", p, p2)
	}
	raw2, err := p2.MarshalData()
	if err != nil || !bytes.Equal(raw1, raw2) {
		t.Fatalf("%T: encoding not stable: %v\n% x\n% x", p, err, raw1, raw2)
	}
}
