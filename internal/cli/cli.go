// Package cli is the herd command: it dispatches subcommands and keeps all
// process wiring out of cmd/herd, so the whole command runs in tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/version"
	"github.com/spf13/pflag"
)

const usage = `herd: load testing in plain Go.

A load test is a Go program that imports github.com/herdload/herd and calls
herd.Main; it takes Locust's options (run it with --help). This command holds
what needs no test code:

Usage:
  herd demo [OPTIONS]         load-test the built-in demo shop: the web UI on
                              http://localhost:8089, or the console with
                              --headless (defaults: -u 20 -r 10 -t 30s; any test
                              option may be given, e.g. -u 100 --csv out)
  herd master [OPTIONS]       run a master for workers built from any herd test
                              program (they connect with --worker); takes the
                              test options, learns user classes from workers
  herd serve-demo [--addr A]  serve the demo shop on loopback until interrupted
                              (default --addr 127.0.0.1:8080)
  herd har FILE.har           write a test program that replays a browser
                              recording (HAR) to stdout; see herd har --help
  herd version                print herd's version, commit and Go version
                              (also --version, -V)
  herd help                   print this help
`

// Main runs the herd command and returns its exit code.
func Main(ctx context.Context, env herd.Env) int {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return herd.ExitConfig
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "demo":
		env.Prog += " demo"
		env.Exec = append(selfExec(env), "demo")
		env.Args = args
		code, err := demoTest().Run(ctx, env)
		return report(env, code, err)
	case "master":
		env.Prog += " master"
		env.Args = append([]string{"--master"}, args...)
		code, err := (&herd.Test{}).Run(ctx, env)
		return report(env, code, err)
	case "serve-demo":
		return serveDemo(ctx, env, args)
	case "har":
		return harCommand(env, args)
	case "version", "--version", "-V":
		if err := version.Read().Write(env.Stdout, "herd"); err != nil {
			return report(env, herd.ExitInternal, err)
		}
		return herd.ExitOK
	case "help", "--help", "-h":
		fmt.Fprint(env.Stdout, usage)
		return herd.ExitOK
	default:
		fmt.Fprintf(env.Stderr, "herd: unknown command %q\n\n%s", cmd, usage)
		return herd.ExitConfig
	}
}

// report prints a run's error, if any, and returns its exit code.
func report(env herd.Env, code int, err error) int {
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
	}
	return code
}

func serveDemo(ctx context.Context, env herd.Env, args []string) int {
	fs := pflag.NewFlagSet("serve-demo", pflag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback address to serve on")
	errRate := fs.Float64("error-rate", demo.DefaultErrorRate, "fraction of requests answered with 500 (negative: none)")
	latency := fs.Float64("latency-scale", 1, "multiplies every simulated latency (negative: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return herd.ExitOK
		}
		return herd.ExitConfig
	}
	srv, err := demo.Start(*addr, demo.Options{ErrorRate: *errRate, LatencyScale: *latency})
	if err != nil {
		fmt.Fprintf(env.Stderr, "herd serve-demo: %v\n", err)
		return herd.ExitConfig
	}
	fmt.Fprintf(env.Stdout, "demo shop at %s (interrupt to stop)\n", srv.URL)
	<-ctx.Done()
	if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(env.Stderr, "herd serve-demo: %v\n", err)
		return herd.ExitInternal
	}
	return herd.ExitOK
}

// selfExec is how to start this herd binary again.
func selfExec(env herd.Env) []string {
	if len(env.Exec) > 0 {
		return slices.Clone(env.Exec)
	}
	exe, err := os.Executable()
	if err != nil {
		return []string{"herd"}
	}
	return []string{exe}
}
