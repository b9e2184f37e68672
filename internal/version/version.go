// Package version tells what a binary knows about its own build: the module
// version the go command stamped into it, the commit it was built from, and
// the Go toolchain. `herd version` and every test program's --version print
// it.
package version

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// HerdModule is the module path of herd itself.
const HerdModule = "github.com/herdload/herd"

// Info is a binary's build, read from [debug.BuildInfo].
type Info struct {
	// Module is the main module's path: herd's for the herd command, the
	// test program's own module for a load test.
	Module string
	// Version is the main module's version: a tag (v0.1.0) when built by
	// `go install module@version` or from a tagged clone, a pseudo-version
	// (v0.0.0-20261205173600-d6ca53c12345, +dirty when modified) from an
	// untagged clone, "" when nothing was stamped (Go's "(devel)": a build
	// without VCS information).
	Version string
	// Revision, Time and Modified come from the VCS: the commit, its time,
	// and whether the work tree had uncommitted changes. Empty, zero and
	// false when the build had no VCS information.
	Revision string
	Time     time.Time
	Modified bool
	// Herd is the herd library's version in a test program ("" when the
	// main module is herd itself); "(devel)" or a local path when a replace
	// directive points at a clone.
	Herd string
	// GoVersion and Platform are the toolchain and GOOS/GOARCH.
	GoVersion string
	Platform  string
}

// Read returns this binary's build information. A binary without any
// (built outside module mode) gives an Info with only the Go version.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts an Info from bi.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{
		Module:    bi.Main.Path,
		Version:   bi.Main.Version,
		GoVersion: bi.GoVersion,
	}
	if i.Version == "(devel)" {
		i.Version = ""
	}
	if i.GoVersion == "" {
		i.GoVersion = runtime.Version()
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time, _ = time.Parse(time.RFC3339, s.Value) // zero if malformed
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	i.Platform = goos + "/" + goarch
	if i.Module != HerdModule {
		for _, d := range bi.Deps {
			if d.Path != HerdModule {
				continue
			}
			i.Herd = d.Version
			if r := d.Replace; r != nil {
				i.Herd = r.Version
				if r.Version == "" || r.Version == "(devel)" { // a directory
					i.Herd = "(devel) at " + r.Path
				}
			}
		}
	}
	return i
}

// Short is the version in one word: the stamped module version, else
// "devel" with the short commit ("devel-d6ca53c12345", "+dirty" when
// modified), else "devel".
func (i Info) Short() string {
	switch {
	case i.Version != "":
		return i.Version
	case i.Revision != "":
		s := "devel-" + shortRev(i.Revision)
		if i.Modified {
			s += "+dirty"
		}
		return s
	default:
		return "devel"
	}
}

// Write prints i for the program prog: its name and version on the first
// line (for scripts: `herd version | head -1`), then the module, commit,
// herd library and Go toolchain, one per line.
func (i Info) Write(w io.Writer, prog string) error {
	var b strings.Builder
	version := i.Version
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(&b, "%s %s\n", prog, version)
	if i.Module != "" {
		fmt.Fprintf(&b, "  module    %s\n", i.Module)
	}
	switch {
	case i.Revision == "" && i.Version == "":
		b.WriteString("  commit    unknown (built without VCS information: outside a git clone, or with -buildvcs=false)\n")
	case i.Revision == "":
		// go install module@version: the version says it all.
	default:
		var notes []string
		if !i.Time.IsZero() {
			notes = append(notes, i.Time.UTC().Format(time.RFC3339))
		}
		if i.Modified {
			notes = append(notes, "modified")
		}
		fmt.Fprintf(&b, "  commit    %s", i.Revision)
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	if i.Herd != "" {
		fmt.Fprintf(&b, "  herd      %s\n", i.Herd)
	}
	fmt.Fprintf(&b, "  go        %s %s\n", i.GoVersion, i.Platform)
	_, err := io.WriteString(w, b.String())
	return err
}

// shortRev is the first 12 characters of a commit hash, as Go's
// pseudo-versions show it.
func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
