package cluster

import (
	"os"
	"testing"

	"github.com/herdload/herd/internal/paralleltest"
)

// The interop tests wait on Locust processes and run times; the rest run
// on synctest's fake clock.
func TestMain(m *testing.M) { os.Exit(paralleltest.Main(m, 8)) }
