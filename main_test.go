package herd_test

import (
	"os"
	"testing"

	"github.com/herdload/herd/internal/paralleltest"
)

// Most of this package's tests wait on real run times (a headless run of
// 2 s, a master and its workers, a web UI) far more than they use the CPU.
func TestMain(m *testing.M) { os.Exit(paralleltest.Main(m, 8)) }
