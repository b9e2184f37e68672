package wire

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestVectorsDecode decodes every vector and compares it with its JSON.
func TestVectorsDecode(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 51 {
		t.Fatalf("found %d vectors, want at least 51", len(vs))
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			frame := v.bin
			if strings.HasPrefix(filepath.Base(v.name), "corrupt_frame") {
				_, err := Decode(frame)
				if !errors.Is(err, ErrTrailingData) {
					t.Fatalf("Decode(corrupt frame) = %v, want ErrTrailingData", err)
				}
				if !strings.Contains(err.Error(), "1 byte(s) after the message at offset 90") {
					t.Errorf("unclear error: %v", err)
				}
				frame = frame[:len(frame)-1] // the valid message before the junk
			}
			m, err := Decode(frame)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m.Type != v.msg.Type || m.NodeID != v.msg.NodeID {
				t.Errorf("envelope = %q/%q, want %q/%q", m.Type, m.NodeID, v.msg.Type, v.msg.NodeID)
			}
			data, err := DecodeValue(m.Data)
			if err != nil {
				t.Fatalf("DecodeValue: %v", err)
			}
			if !reflect.DeepEqual(data, v.msg.Data) {
				t.Errorf("data mismatch\n got %#v\nwant %#v", data, v.msg.Data)
			}
			if _, err := DecodePayload(m); err != nil {
				t.Errorf("DecodePayload: %v", err)
			}
			if id, ok := v.meta["zmq_routing_identity"].(string); ok && strings.HasPrefix(id, "vm_") {
				if strings.Contains(v.meta["direction"].(string), "worker -> master") && id != m.NodeID {
					t.Errorf("node_id %q differs from routing identity %q", m.NodeID, id)
				}
			}
		})
	}
}

// TestVectorsReencode decodes every vector into its typed payload and
// encodes it again: the bytes must be identical to Locust's.
func TestVectorsReencode(t *testing.T) {
	for _, v := range loadVectors(t) {
		if strings.HasPrefix(filepath.Base(v.name), "corrupt_frame") {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			m, err := Decode(v.bin)
			if err != nil {
				t.Fatal(err)
			}
			p, err := DecodePayload(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, custom := p.(Custom); custom {
				if p, err = DecodeCustomOrdered(m); err != nil {
					t.Fatal(err)
				}
			}
			got, err := EncodePayload(m.NodeID, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v.bin) {
				t.Errorf("re-encoded %T differs\n got % x\nwant % x", p, got, v.bin)
			}
			// The envelope alone must round-trip too.
			if again, err := Encode(m); err != nil || !bytes.Equal(again, v.bin) {
				t.Errorf("Encode(Decode(frame)) differs: %v", err)
			}
		})
	}
}

// TestVectorsHerdSends checks that every type herd sends is among the
// re-encoded vectors, so the byte-exact check above covers them all.
func TestVectorsHerdSends(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range loadVectors(t) {
		m, err := Decode(v.bin)
		if err == nil {
			seen[m.Type] = true
			if !IsBuiltin(m.Type) {
				seen["custom"] = true
			}
		}
	}
	for _, typ := range []string{
		TypeClientReady, TypeAck, TypeHeartbeat, TypeStats, TypeSpawn, TypeSpawning,
		TypeSpawningComplete, TypeStop, TypeClientStopped, TypeQuit, TypeException, "custom",
	} {
		if !seen[typ] {
			t.Errorf("no vector of type %s", typ)
		}
	}
}
