package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOutputPaths checks that Load refuses, before any run, output files
// that cannot be written, and leaves the file system as it found it.
func TestOutputPaths(t *testing.T) {
	t.Parallel()
	root := os.Geteuid() == 0 // permissions are not enforced for root
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string) // prepares dir
		path      string                         // relative to dir
		want      string                         // in the message, "" for no problem
		needsPerm bool                           // only fails when permissions are enforced
	}{
		{name: "new file", path: "out.x"},
		{name: "existing file kept", setup: writeIn("out.x", "keep"), path: "out.x"},
		{name: "new file in a subdirectory", setup: mkdirIn("sub", 0o755), path: "sub/out.x"},
		{name: "missing directory", path: "nope/out.x", want: `directory "DIR/nope" does not exist`},
		{name: "missing directories", path: "a/b/out.x", want: `directory "DIR/a/b" does not exist`},
		{name: "path is a directory", setup: mkdirIn("sub", 0o755), path: "sub", want: `"DIR/sub" is a directory, not a file`},
		{name: "parent is a file", setup: writeIn("f", ""), path: "f/out.x", want: `"DIR/f" is not a directory`},
		{name: "grandparent is a file", setup: writeIn("f", ""), path: "f/sub/out.x", want: `cannot use directory "DIR/f/sub": not a directory`},
		{name: "read-only directory", setup: mkdirIn("ro", 0o555), path: "ro/out.x", want: `directory "DIR/ro"`, needsPerm: true},
		{name: "read-only file", setup: writeIn("ro.x", "keep", 0o444), path: "ro.x", want: `"DIR/ro.x" exists and cannot be written: permission denied`, needsPerm: true},
	}
	for _, opt := range []string{"html", "json-file", "junit", "logfile"} {
		for _, tt := range tests {
			t.Run(opt+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				if tt.needsPerm && root {
					t.Skip("running as root: permissions are not enforced")
				}
				dir := t.TempDir()
				if tt.setup != nil {
					tt.setup(t, dir)
				}
				before := listTree(t, dir)
				_, err := load([]string{"--" + opt, filepath.Join(dir, tt.path)}, env(nil))
				if tt.want == "" {
					if err != nil {
						t.Errorf("Load: %v", err)
					}
				} else {
					ps := problemsOf(t, err)
					want := strings.ReplaceAll(tt.want, "DIR", dir)
					if len(ps) != 1 || ps[0].Field != opt || ps[0].Source != "flag --"+opt || !strings.Contains(ps[0].Message, want) {
						t.Errorf("problems %v; want one about --%s containing %q", err, opt, want)
					}
				}
				if after := listTree(t, dir); after != before {
					t.Errorf("the check changed the directory:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}

// TestOutputReadOnlyDirectory checks that a read-only directory is refused
// for a file written by renaming even when the file itself is writable.
func TestOutputReadOnlyDirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	dir := t.TempDir()
	writeIn("out.x", "keep")(t, dir)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	path := filepath.Join(dir, "out.x")
	if _, err := load([]string{"--html", path}, env(nil)); err == nil || !strings.Contains(err.Error(), "cannot create files in directory") {
		t.Errorf("--html in a read-only directory: %v", err)
	}
	// The log file is appended to, in place: a writable file is enough.
	if _, err := load([]string{"--logfile", path}, env(nil)); err != nil {
		t.Errorf("--logfile: %v", err)
	}
}

func TestOutputCSVPrefix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeIn("f", "")(t, dir)
	tests := []struct {
		prefix, want string
	}{
		{dir + "/run", ""},
		{dir + "/", ""},
		{dir + "/nope/run", `directory "` + dir + `/nope" does not exist`},
		{dir + "/f/run", `"` + dir + `/f" is not a directory`},
	}
	for _, tt := range tests {
		_, err := load([]string{"--csv", tt.prefix}, env(nil))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("--csv %s: %v", tt.prefix, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), "--csv: "+tt.want)):
			t.Errorf("--csv %s: %v; want %q", tt.prefix, err, tt.want)
		}
	}
	if got := listTree(t, dir); got != "f:0" {
		t.Errorf("the checks left %s", got)
	}
}

// TestOutputProblemsWithOthers checks that output problems come with the
// rest, sourced like any other, and that every output is checked.
func TestOutputProblemsWithOthers(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	path := writeFile(t, "herd.conf", "html = "+missing+"/r.html\n")
	_, err := load([]string{"--config", path, "-u", "-1", "--junit", missing + "/j.xml", "--csv", missing + "/run"},
		env(map[string]string{"HERD_JSON_FILE": missing + "/s.json", "HERD_LOGFILE": missing + "/herd.log"}))
	ps := problemsOf(t, err)
	got := fields(ps)
	want := []string{"users", "junit", "csv", "json-file", "html", "logfile"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("problem fields %q, want %q:\n%v", got, want, err)
	}
	if ps[4].Source != "config file "+path+":1" || ps[3].Source != "environment HERD_JSON_FILE" {
		t.Errorf("sources: %q, %q", ps[4].Source, ps[3].Source)
	}
}

func writeIn(name, content string, perm ...os.FileMode) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if len(perm) > 0 {
			if err := os.Chmod(p, perm[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mkdirIn(name string, perm os.FileMode) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(p, 0o755) }) // so that TempDir can remove it
	}
}

// listTree lists the files under dir with their sizes, sorted: "a:3 sub/b:0".
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out = append(out, rel+"/")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, rel+":"+strconv.FormatInt(info.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}
