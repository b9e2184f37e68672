package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeInstallFromClone follows the README's install section as a new
// user would, command by command: the clone (of this repository, instead
// of its URL), the build, `herd version` and a demo run bounded by -t. The
// built binary must name the commit it was built from.
func TestReadmeInstallFromClone(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Run(); err != nil {
		t.Skip("not a git clone: nothing to clone")
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := installCommands(t, string(readme))

	dir := t.TempDir()
	var ran []string
	for _, line := range lines {
		args := strings.Fields(line)
		switch {
		case args[0] == "git" && len(args) == 3 && args[1] == "clone":
			name := strings.TrimSuffix(filepath.Base(args[2]), ".git")
			run(t, dir, "git", "clone", "--quiet", root, name)
		case args[0] == "cd" && len(args) == 2:
			dir = filepath.Join(dir, args[1])
		case args[0] == "go" && len(args) > 1 && args[1] == "build":
			// This machine's go env may turn VCS stamping off (GOFLAGS
			// -buildvcs=false); a user's default is auto.
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOFLAGS=-buildvcs=auto")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, out)
			}
		case args[0] == "./herd" && len(args) == 2 && args[1] == "version":
			out := run(t, dir, filepath.Join(dir, "herd"), "version")
			head := strings.TrimSpace(run(t, dir, "git", "rev-parse", "HEAD"))
			first, _, _ := strings.Cut(out, "\n")
			if !strings.HasPrefix(first, "herd v") || strings.Contains(first, "+dirty") ||
				!strings.Contains(out, "  commit    "+head) || strings.Contains(out, "modified") {
				t.Errorf("%s: want the clean clone's version and commit %s:\n%s", line, head, out)
			}
			t.Logf("%s:\n%s", line, out)
		case args[0] == "./herd" && len(args) > 1 && args[1] == "demo":
			if !strings.Contains(line, " -t ") {
				t.Fatalf("%q: a demo run in the README's install section must be bounded by -t", line)
			}
			cmd := exec.Command(filepath.Join(dir, "herd"), args[1:]...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // the demo shop fails 1% on purpose
				t.Fatalf("%s: %v\n%s", line, err, stderr.String())
			}
			if !strings.Contains(stdout.String(), "Aggregated") {
				t.Errorf("%s printed no summary:\n%s", line, stdout.String())
			}
		default:
			t.Fatalf("the README's install section has a command this test cannot follow: %q", line)
		}
		ran = append(ran, args[0]+" "+args[1])
	}
	if want := "git clone,cd herd,go build,./herd version,./herd demo"; strings.Join(ran, ",") != want {
		t.Errorf("the install section ran %q, want %q", strings.Join(ran, ","), want)
	}
}

// installCommands returns the command lines of the first sh block of the
// README's "## Install" section, without comments.
func installCommands(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Install\n")
	if !ok {
		t.Fatal("README.md has no ## Install section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("the Install section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// run runs a command in dir and returns its standard output.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
