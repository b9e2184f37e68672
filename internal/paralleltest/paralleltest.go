// Package paralleltest runs a package's tests many at once when they
// mostly wait (on run times, child processes, a browser) rather than use
// the CPU: go test's default of GOMAXPROCS would leave a 2-core machine
// idle and run them one after the other. Tests only.
package paralleltest

import (
	"flag"
	"runtime/debug"
	"strconv"
	"testing"
)

// Main is a TestMain body: up to n parallel tests run at once, unless
// -parallel was given or the binary was built with -race (whose CPU cost
// makes the CPU the limit again: more tests at once would only starve
// them). It returns m.Run's exit code.
func Main(m *testing.M, n int) int {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && !race() {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic(err) // an int flag takes any int
		}
	}
	return m.Run()
}

// race reports whether this binary was built with the race detector.
func race() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
