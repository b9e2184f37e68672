// Command herdload is the herd side of the benchmark: three user types,
// chosen by naming them on the command line.
//
//   - Fast: herd.FastHTTPUser, one task GET "/", no wait.
//   - Std: herd.HTTPUser, the same.
//   - Custom: a task that only calls herd.Record with a fixed duration, to
//     measure herd's own per-task overhead without any network.
//
// HERDLOAD_CPUPROFILE=FILE and HERDLOAD_MEMPROFILE=FILE write pprof CPU and
// allocation profiles of the run.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/herdload/herd"
)

type fastUser struct{ herd.FastHTTPUser }

func (u *fastUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

type stdUser struct{ herd.HTTPUser }

func (u *stdUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

type customUser struct{}

func (customUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "record", Run: func(ctx context.Context) error {
		herd.Record(ctx, herd.Request{Kind: "custom", Name: "noop", Duration: time.Millisecond, Size: 13})
		return nil
	}}}
}

func main() { os.Exit(run()) }

func run() int {
	if f := os.Getenv("HERDLOAD_MEMPROFILE"); f != "" {
		runtime.MemProfileRate = 4096
		defer writeProfile(f, func(f *os.File) error { return pprof.Lookup("allocs").WriteTo(f, 0) })
	}
	if f := os.Getenv("HERDLOAD_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer out.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return test().Run(ctx, herd.ProcessEnv())
}

func writeProfile(name string, write func(*os.File) error) {
	f, err := os.Create(name)
	if err == nil {
		err = write(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func test() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{
		{Name: "Fast", New: func() herd.User { return new(fastUser) }},
		{Name: "Std", New: func() herd.User { return new(stdUser) }},
		{Name: "Custom", New: func() herd.User { return customUser{} }},
	}}
}
