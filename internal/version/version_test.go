package version

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// herdBuild is how `go build` in a clone of herd stamps the herd command
// (Go 1.24 and later: a pseudo-version from the commit, +dirty when the
// work tree was modified).
func herdBuild(version string, settings ...debug.BuildSetting) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      HerdModule + "/cmd/herd",
		Main:      debug.Module{Path: HerdModule, Version: version},
		Settings: append([]debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
		}, settings...),
	}
}

var vcs = []debug.BuildSetting{
	{Key: "vcs", Value: "git"},
	{Key: "vcs.revision", Value: "d6ca53c1a2b3c4d5e6f708192a3b4c5d6e7f8091"},
	{Key: "vcs.time", Value: "2026-12-05T17:36:00Z"},
	{Key: "vcs.modified", Value: "false"},
}

func modified(s []debug.BuildSetting) []debug.BuildSetting {
	out := append([]debug.BuildSetting(nil), s...)
	out[len(out)-1].Value = "true"
	return out
}

// testProgram is a user's load test that requires herd at version herd.
func testProgram(herd string, replace *debug.Module) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/loadtest",
		Main:      debug.Module{Path: "example.com/loadtest", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/spf13/pflag", Version: "v1.1.0"},
			{Path: HerdModule, Version: herd, Replace: replace},
		},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}},
	}
}

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	rev := "d6ca53c1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	when := time.Date(2026, 12, 5, 17, 36, 0, 0, time.UTC)
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		want   Info
		short  string
		golden string
	}{
		{"go install at a tag", herdBuild("v0.1.0"),
			Info{Module: HerdModule, Version: "v0.1.0", GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"v0.1.0", "install.golden"},
		{"go build in a clone", herdBuild("v0.0.0-20261205173600-d6ca53c1a2b3", vcs...),
			Info{Module: HerdModule, Version: "v0.0.0-20261205173600-d6ca53c1a2b3", Revision: rev, Time: when,
				GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"v0.0.0-20261205173600-d6ca53c1a2b3", "clone.golden"},
		{"go build in a modified clone", herdBuild("v0.1.1-0.20261205173600-d6ca53c1a2b3+dirty", modified(vcs)...),
			Info{Module: HerdModule, Version: "v0.1.1-0.20261205173600-d6ca53c1a2b3+dirty", Revision: rev, Time: when,
				Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"v0.1.1-0.20261205173600-d6ca53c1a2b3+dirty", "modified.golden"},
		{"vcs but no version (older Go)", herdBuild("(devel)", modified(vcs)...),
			Info{Module: HerdModule, Revision: rev, Time: when, Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"devel-d6ca53c1a2b3+dirty", "devel-vcs.golden"},
		{"no VCS information", herdBuild("(devel)"),
			Info{Module: HerdModule, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"devel", "devel.golden"},
		{"a test program", testProgram("v0.1.0", nil),
			Info{Module: "example.com/loadtest", Herd: "v0.1.0", GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			"devel", "program.golden"},
		{"a test program on a local clone of herd", testProgram("v0.0.0", &debug.Module{Path: "../herd"}),
			Info{Module: "example.com/loadtest", Herd: "(devel) at ../herd", GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			"devel", "program-replaced.golden"},
		{"a test program on a local clone, as go build stamps it", testProgram("v0.0.0", &debug.Module{Path: "/src/herd", Version: "(devel)"}),
			Info{Module: "example.com/loadtest", Herd: "(devel) at /src/herd", GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			"devel", "program-replaced-dir.golden"},
		{"a malformed time", herdBuild("", debug.BuildSetting{Key: "vcs.revision", Value: "abc"}, debug.BuildSetting{Key: "vcs.time", Value: "yesterday"}),
			Info{Module: HerdModule, Revision: "abc", GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"devel-abc", "bad-time.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FromBuildInfo(tt.bi)
			if got != tt.want {
				t.Errorf("FromBuildInfo:\n got %+v\nwant %+v", got, tt.want)
			}
			if s := got.Short(); s != tt.short {
				t.Errorf("Short() = %q, want %q", s, tt.short)
			}
			prog := "herd"
			if got.Module != HerdModule {
				prog = "loadtest"
			}
			var buf bytes.Buffer
			if err := got.Write(&buf, prog); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, buf.Bytes())
		})
	}
}

// TestRead: a test binary has build information; Read never fails.
func TestRead(t *testing.T) {
	t.Parallel()
	i := Read()
	if i.GoVersion == "" || i.Platform == "" {
		t.Errorf("Read() = %+v: no Go version or platform", i)
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update if intended):\n%s", path, got)
	}
}

// FuzzParse: whatever build information a binary carries (debug.ParseBuildInfo
// of any text), reading and printing it never fails.
func FuzzParse(f *testing.F) {
	f.Add("go\tgo1.26.8\npath\tgithub.com/herdload/herd/cmd/herd\nmod\tgithub.com/herdload/herd\t(devel)\t\nbuild\tvcs.revision=abc\nbuild\tvcs.time=2026-12-05T17:36:00Z\nbuild\tvcs.modified=true\n")
	f.Add("go\tgo1.26.8\npath\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgithub.com/herdload/herd\tv0.0.0\t\n=>\t../herd\t\t\n")
	f.Fuzz(func(t *testing.T, text string) {
		bi, err := debug.ParseBuildInfo(text)
		if err != nil {
			return
		}
		i := FromBuildInfo(bi)
		var buf bytes.Buffer
		if err := i.Write(&buf, "herd"); err != nil {
			t.Fatal(err)
		}
		if i.Short() == "" {
			t.Error("empty Short()")
		}
	})
}
