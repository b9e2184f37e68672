// Command herd runs herd's built-in demo and helpers; see `herd help`.
// Load tests themselves are Go programs that call herd.Main.
package main

import (
	"os"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/cli"
	"github.com/herdload/herd/internal/interrupt"
)

func main() {
	ctx, stop := interrupt.Context(os.Stderr)
	env := herd.ProcessEnv()
	env.Prog = "herd"
	code := cli.Main(ctx, env)
	stop()
	os.Exit(code)
}
