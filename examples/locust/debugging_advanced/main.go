// Command debugging_advanced is Locust's debugging_advanced.py in herd: two
// user types run one after the other, a single user each, every request
// printed; each stops itself after its first task.
//
//	go run ./examples/locust/debugging_advanced -H http://localhost:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/herdload/herd"
)

// helloUser is an HTTP user that gets path once, then stops.
type helloUser struct {
	herd.HTTPUser
	path string
}

func (u *helloUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "hello_world", Run: func(ctx context.Context) error {
		u.Client.Get(ctx, u.path)
		return herd.ErrStopUser
	}}}
}

var (
	user1 = &herd.UserType{Name: "User1", Host: "http://localhost",
		New: func() herd.User { return &helloUser{path: "/hello1"} }}
	user2 = &herd.UserType{Name: "User2", Host: "http://localhost",
		New: func() herd.User { return &helloUser{path: "/hello2"} }}
)

// run runs one User1, then one User2, against host ("" for their own).
func run(ctx context.Context, host string, out io.Writer) error {
	fmt.Fprintln(out, "running User1")
	if err := herd.RunSingleUser(ctx, user1, herd.SingleUser{Host: host, Out: out}); err != nil {
		return err
	}
	fmt.Fprintln(out, "running User2")
	if err := herd.RunSingleUser(ctx, user2, herd.SingleUser{Host: host, Out: out}); err != nil {
		return err
	}
	fmt.Fprintln(out, "done!")
	return nil
}

func main() {
	host := flag.String("H", "", "host to test instead of the user types'")
	flag.Parse()
	if err := run(context.Background(), *host, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
