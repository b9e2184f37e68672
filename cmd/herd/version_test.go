package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestVersionMatchesBuild builds the herd command and checks that `herd
// version` prints what the go command stamped into it, as `go version -m`
// reads it back: the module version ("(devel)" when none), the commit when
// the build had VCS information, and the toolchain.
func TestVersionMatchesBuild(t *testing.T) {
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("herd version: %v", err)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var goVersion, modVersion, revision string
	for i, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case i == 0 && len(f) == 2:
			goVersion = f[1]
		case len(f) >= 3 && f[0] == "mod":
			modVersion = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	got := string(out)
	wants := []string{"herd " + modVersion + "\n", "  module    github.com/herdload/herd\n", "  go        " + goVersion + " "}
	if revision != "" {
		wants = append(wants, "  commit    "+revision)
	} else if modVersion == "(devel)" {
		wants = append(wants, "  commit    unknown")
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("herd version lacks %q:\n%s\ngo version -m:\n%s", want, got, meta)
		}
	}
	if !strings.HasPrefix(got, "herd ") {
		t.Errorf("the first line is not \"herd VERSION\":\n%s", got)
	}
}
