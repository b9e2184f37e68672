package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vector is one captured frame with its JSON rendering.
type vector struct {
	name string // e.g. "stats" or "newest/stats"
	bin  []byte
	meta map[string]any
	msg  struct {
		Type   string
		Data   any // rendered per the README's rules, see fromJSON
		NodeID string
	}
}

// vectorDirs are the vector folders under testdata.
var vectorDirs = []string{"testdata/vectors", "testdata/vectors/newest"}

// loadVectors reads every .bin with its .json.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	var out []vector
	for _, dir := range vectorDirs {
		bins, err := filepath.Glob(filepath.Join(dir, "*.bin"))
		if err != nil || len(bins) == 0 {
			t.Fatalf("no vectors in %s: %v", dir, err)
		}
		for _, bin := range bins {
			out = append(out, readVector(t, dir, bin))
		}
	}
	return out
}

// readVector reads one vector.
func readVector(t testing.TB, dir, bin string) vector {
	t.Helper()
	var v vector
	v.name = strings.TrimSuffix(strings.TrimPrefix(bin, "testdata/vectors/"), ".bin")
	var err error
	if v.bin, err = os.ReadFile(bin); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(strings.TrimSuffix(bin, ".bin") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var doc struct {
		Meta    map[string]any `json:"meta"`
		Message struct {
			Type   string `json:"type"`
			Data   any    `json:"data"`
			NodeID string `json:"node_id"`
		} `json:"message"`
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	v.meta = doc.Meta
	v.msg.Type = doc.Message.Type
	v.msg.NodeID = doc.Message.NodeID
	if v.msg.Data, err = fromJSON(doc.Message.Data); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return v
}

// fromJSON applies the vectors README's rendering rules in reverse:
// numbers keep their int/float spelling, {"$bin": hex} is []byte, and a map
// with "int:N"/"float:X" keys is a map[any]any.
func fromJSON(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE") {
			return strconv.ParseFloat(s, 64)
		}
		return strconv.ParseInt(s, 10, 64)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = fromJSON(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		if h, ok := x["$bin"].(string); ok && len(x) == 1 {
			return hex.DecodeString(h)
		}
		typed := false
		for k := range x {
			if strings.HasPrefix(k, "int:") || strings.HasPrefix(k, "float:") {
				typed = true
			}
		}
		if !typed {
			out := make(map[string]any, len(x))
			for k, e := range x {
				var err error
				if out[k], err = fromJSON(e); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		out := make(map[any]any, len(x))
		for k, e := range x {
			key, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			if out[key], err = fromJSON(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// jsonKey parses a rendered map key.
func jsonKey(k string) (any, error) {
	switch {
	case strings.HasPrefix(k, "int:"):
		return strconv.ParseInt(strings.TrimPrefix(k, "int:"), 10, 64)
	case strings.HasPrefix(k, "float:"):
		return strconv.ParseFloat(strings.TrimPrefix(k, "float:"), 64)
	}
	return k, nil
}
