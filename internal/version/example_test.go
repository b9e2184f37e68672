package version_test

import (
	"os"
	"runtime/debug"

	"github.com/herdload/herd/internal/version"
)

// A binary built by `go install github.com/herdload/herd/cmd/herd@v0.1.0`.
func ExampleInfo_Write() {
	i := version.FromBuildInfo(&debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/herdload/herd", Version: "v0.1.0"},
		Settings:  []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}},
	})
	i.Write(os.Stdout, "herd")
	// Output:
	// herd v0.1.0
	//   module    github.com/herdload/herd
	//   go        go1.26.8 linux/amd64
}
