package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestDemoHelpGolden: herd demo --help shows the demo's own defaults
// (20 users, 10/s, 30 s), not the built-in ones.
func TestDemoHelpGolden(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, context.Background(), "demo", "--help")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"--autostart (default 20)", "--autostart (default 10)", "--autostart. (default 30s)"} {
		if !strings.Contains(flat, want) {
			t.Errorf("herd demo --help lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "demo_help.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("herd demo --help differs from %s (run go test -update if intended):\n%s", golden, out)
	}
}
