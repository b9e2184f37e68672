package herd_test

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// testParallel is how many tests run at once when -parallel is not given.
// Most of this package's tests wait on real run times (a headless run of
// 2 s, a master and its workers, a web UI) far more than they use the
// CPU, so the default of GOMAXPROCS would leave a 2-core machine idle and
// run them one after the other (internal/e2e does the same). Not under the
// race detector, whose CPU cost makes the CPU the limit again.
const testParallel = 16

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && !raceEnabled {
		if err := flag.Set("test.parallel", strconv.Itoa(testParallel)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
