package e2e

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// childEnv selects the herd program instead of the tests: every herd
// process of the matrix is this test binary run with childEnv=1, which
// --processes also passes on to the workers it starts (it re-executes the
// running binary with the same environment), so the mode cannot be a flag.
const childEnv = "HERD_E2E_CHILD"

// matrixParallel is how many cases run at once when -parallel is not
// given: the cases mostly wait (on their processes, the target, run times),
// so the default of GOMAXPROCS would leave a 2-core machine idle.
const matrixParallel = 32

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		herd.Main(program()) // exits
	}
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(matrixParallel)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// program is the herd test program: one user type, Visitor, whose tasks
// are testdata/locustfile.py's (same name, endpoints, weights and wait),
// so a Locust master can give its users to herd workers and a herd master
// its users to Locust workers.
func program() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "Visitor",
		Wait: herd.Constant(10 * time.Millisecond),
		New:  func() herd.User { return new(visitor) },
	}}}
}

type visitor struct{ herd.HTTPUser }

// OnStart names this process on every request, for the target's
// per-worker signals.
func (v *visitor) OnStart(context.Context) error {
	v.Client.Header.Set(procHeader, strconv.Itoa(os.Getpid()))
	return nil
}

func (v *visitor) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "fast", Weight: 6, Run: v.get("/fast")},
		{Name: "fail", Weight: 3, Run: v.get("/fail")},
		{Name: "stall", Weight: 1, Run: v.get("/stall")},
	}
}

// get requests path and obeys the target's signal, if any.
func (v *visitor) get(path string) func(context.Context) error {
	return func(ctx context.Context) error {
		r := v.Client.Get(ctx, path)
		switch r.Header().Get(signalHeader) {
		case "stop":
			return herd.ErrStopTest
		case "halt":
			v.Client.Get(ctx, "/trip") // fails: the threshold cases' trigger
			return herd.ErrStopUser
		}
		return r.Err()
	}
}
