package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/har"
)

// herd har writes what har.Generate makes of the file, to stdout or -o,
// reads stdin for "-", and passes its flags on.
func TestHar(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "har", "testdata", "firefox.har")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := har.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want, err := har.Generate(h, har.Options{Source: "firefox.har", KeepHosts: []string{"cdn.example"}})
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, context.Background(), "har", "--keep-host", "cdn.example", path)
	if code != herd.ExitOK || out != string(want) {
		t.Errorf("code %d, stderr %s, stdout differs:\n%s", code, errOut, out)
	}

	file := filepath.Join(t.TempDir(), "main.go")
	if code, _, errOut := run(t, context.Background(), "har", "-o", file, "--keep-host=cdn.example", path); code != herd.ExitOK {
		t.Fatalf("-o: code %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, want) {
		t.Errorf("-o wrote something else")
	}

	var stdout bytes.Buffer
	env := herd.Env{Prog: "herd", Args: []string{"har", "-"}, Stdin: bytes.NewReader(data), Stdout: &stdout, Stderr: &stdout}
	if code := Main(context.Background(), env); code != herd.ExitOK || !strings.Contains(stdout.String(), "wrote from a HAR") {
		t.Errorf("stdin: code %d:\n%s", code, stdout.String())
	}

	for _, args := range [][]string{{"har"}, {"har", "a.har", "b.har"}, {"har", "/nonexistent.har"}, {"har", "--bogus", path}} {
		if code, _, errOut := run(t, context.Background(), args...); code != herd.ExitConfig || errOut == "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
}
