// Command debugging is Locust's debugging.py in herd: run one user of a
// type, one pass over its tasks, every request printed, under a debugger:
//
//	dlv debug ./examples/locust/debugging -- -H http://localhost:8080
//
// (go run works too). A breakpoint in a task stops the user's only
// goroutine, which is main's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/herdload/herd"
)

type QuickstartUser struct{ herd.HTTPUser }

func (u *QuickstartUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "hello_world", Run: func(ctx context.Context) error {
		r := u.Client.Get(ctx, "/hello")
		_ = r // maybe set a breakpoint here to look at r?
		return nil
	}}}
}

var quickstartUser = &herd.UserType{
	Name: "QuickstartUser",
	Host: "http://localhost",
	New:  func() herd.User { return new(QuickstartUser) },
}

// run runs one QuickstartUser against host ("" for its own), printing to out.
func run(ctx context.Context, host string, out io.Writer) error {
	return herd.RunSingleUser(ctx, quickstartUser, herd.SingleUser{Host: host, Out: out})
}

func main() {
	host := flag.String("H", "", "host to test instead of the user type's")
	flag.Parse()
	if err := run(context.Background(), *host, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
