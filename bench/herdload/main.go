// Command herdload is the herd side of the benchmark: three user types,
// chosen by naming them on the command line.
//
//   - Fast: herd.FastHTTPUser, one task GET "/", no wait.
//   - Std: herd.HTTPUser, the same.
//   - Loop: herd.LoopUser, GET "/" on the event loop (Linux).
//   - Custom: a task that only calls herd.Record with a fixed duration, to
//     measure herd's own per-task overhead without any network.
//   - IdleFast, IdleStd: FastHTTPUser and HTTPUser that GET "/" and then
//     wait 9–11 s, for the memory benchmark (many users, little traffic).
//     With HERDLOAD_HOSTS set to base URLs separated by commas, users take
//     them in turn, so connections spread over several target addresses.
//
// HERDLOAD_CPUPROFILE=FILE and HERDLOAD_MEMPROFILE=FILE write pprof CPU and
// allocation profiles of the run; HERDLOAD_HEAPPROFILE=FILE@DURATION writes
// a heap profile DURATION after the start (for the memory benchmark).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
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

// idleHosts are the base URLs idle users take in turn (none: the -H host).
var (
	idleHosts = strings.FieldsFunc(os.Getenv("HERDLOAD_HOSTS"), func(r rune) bool { return r == ',' })
	idleNext  atomic.Uint64
)

// idleURL is the URL a new idle user requests: "/" on the next host.
func idleURL() string {
	if len(idleHosts) == 0 {
		return "/"
	}
	return strings.TrimRight(idleHosts[idleNext.Add(1)%uint64(len(idleHosts))], "/") + "/"
}

type idleFastUser struct {
	herd.FastHTTPUser
	url string
}

func (u *idleFastUser) Tasks() []herd.Task {
	u.url = idleURL()
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, u.url, herd.Name("/")).Err()
	}}}
}

type idleStdUser struct {
	herd.HTTPUser
	url string
}

func (u *idleStdUser) Tasks() []herd.Task {
	u.url = idleURL()
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, u.url, herd.Name("/")).Err()
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
	if spec := os.Getenv("HERDLOAD_HEAPPROFILE"); spec != "" {
		f, after, _ := strings.Cut(spec, "@")
		d, err := time.ParseDuration(after)
		if err != nil {
			fmt.Fprintln(os.Stderr, "HERDLOAD_HEAPPROFILE:", err)
			return 2
		}
		time.AfterFunc(d, func() {
			runtime.GC()
			writeProfile(f, func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
			writeProfile(f+".goroutines", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 1) })
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "herdload: %d goroutines, heap in use %d MiB, stacks %d MiB, runtime total %d MiB\n",
				runtime.NumGoroutine(), ms.HeapInuse>>20, ms.StackInuse>>20, ms.Sys>>20)
		})
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
	code, err := test().Run(ctx, herd.ProcessEnv())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
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

var idleWait = herd.Between(9*time.Second, 11*time.Second)

// loopRequests is the Loop users' list: what Fast's task sends.
var loopRequests = []herd.LoopRequest{{URL: "/"}}

func test() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{
		{Name: "Fast", New: func() herd.User { return new(fastUser) }},
		{Name: "Std", New: func() herd.User { return new(stdUser) }},
		{Name: "Loop", New: func() herd.User { return &herd.LoopUser{Requests: loopRequests} }},
		{Name: "Custom", New: func() herd.User { return customUser{} }},
		{Name: "IdleFast", New: func() herd.User { return new(idleFastUser) }, Wait: idleWait},
		{Name: "IdleStd", New: func() herd.User { return new(idleStdUser) }, Wait: idleWait},
	}}
}
