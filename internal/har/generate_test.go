package har

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated program (go test ./internal/har -update rewrites it); got:\n%s", path, got)
	}
}

func decodeFile(t testing.TB, name string) *HAR {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The generated programs of a Chromium and a Firefox export, by default
// and with the flags that keep more.
func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		har, golden string
		opts        Options
	}{
		{"chromium.har", "chromium.go.golden", Options{}},
		{"chromium.har", "chromium-all.go.golden", Options{KeepStatic: true, AllHosts: true}},
		{"firefox.har", "firefox.go.golden", Options{}},
		{"firefox.har", "firefox-cdn.go.golden", Options{KeepHosts: []string{"cdn.example"}}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			c.opts.Source = c.har
			src, err := Generate(decodeFile(t, c.har), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, src)
		})
	}
}
