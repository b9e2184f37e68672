package har

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, name := range []string{"demo.har"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"log":{"entries":[{"startedDateTime":"2025-01-01T00:00:00Z","request":{"method":"POST","url":"http://h/x?a=1","postData":{"mimeType":"application/json","text":"{\"k\":\"` + "`\\r" + `\"}"}},"response":{"status":200}}]}}`))
	f.Add([]byte(`{"log":{"pages":[{"id":"p","title":"*/ \u2028","startedDateTime":"2025-01-01T00:00:00Z"}],"entries":[]}}`))
}

// Decode never panics, and whatever it accepts, Generate turns into a
// program that parses (Generate formats its output and reports a program
// that does not parse as a bug) or refuses with a reason.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, o := range []Options{{}, {KeepStatic: true, AllHosts: true, Source: "f\n*/.har"}} {
			src, err := Generate(h, o)
			if err != nil {
				if strings.Contains(err.Error(), "a bug") {
					t.Fatalf("%v", err)
				}
				continue
			}
			if !bytes.HasPrefix(src, []byte("// Command recorded")) {
				t.Fatalf("program starts %q", src[:min(len(src), 40)])
			}
		}
	})
}
