package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/herdload/herd"
)

// TestVersion: `herd version`, --version and -V print the same build
// information, and so does a test program's --version (herd demo is one).
func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		first string // the first line's program name
	}{
		{[]string{"version"}, "herd "},
		{[]string{"--version"}, "herd "},
		{[]string{"-V"}, "herd "},
		{[]string{"demo", "--version"}, "herd demo "},
		{[]string{"demo", "-u", "5", "-V"}, "herd demo "},
		{[]string{"master", "--version"}, "herd master "},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, context.Background(), tt.args...)
			if code != herd.ExitOK || errOut != "" {
				t.Fatalf("code %d, stderr:\n%s", code, errOut)
			}
			first, rest, _ := strings.Cut(out, "\n")
			if !strings.HasPrefix(first, tt.first) || !strings.Contains(rest, "  go        go1.") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}
