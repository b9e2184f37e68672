package herd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/herdload/herd/internal/interrupt"
)

// Test is a load test program: its user types and event listeners.
type Test struct {
	Users  []*UserType
	Events Events
	// Shape, when set, drives the user count over time instead of -u and
	// -r. The --shape flag (a built-in shape) takes precedence.
	Shape LoadShape
	// FallbackHost, when set, starts a target for the HTTP user types that
	// have no host at all (no -H and no UserType.Host), so the program runs
	// out of the box: it returns the target's base URL and a function that
	// stops it. herd's demo shop is one: demo.FallbackHost.
	FallbackHost func() (url string, stop func() error, err error)
	// Defaults are options the program sets as its own defaults, written
	// as on the command line ([]string{"-u", "20", "-t", "30s"}): the config
	// file, the HERD_* environment and the command line override them.
	Defaults []string
	// Thresholds are the test's own pass/fail conditions, in --threshold's
	// grammar: []string{"p95<500ms", "fail_ratio<1%", "GET /cart: p99[30s]<1s;abort"}.
	// They are a layer of options like Defaults: a threshold list in the
	// config file, HERD_THRESHOLD or --threshold replaces them (so a CI
	// job can tighten or relax them), and a bad one is exit code 2 before
	// anything runs. A failed threshold makes the run exit with 4.
	Thresholds []string
	// Options are the test's own command-line options (see Options).
	Options Options
	// WebUI adds the test's own pages, routes and tabs to the web UI
	// (see WebUI).
	WebUI WebUI
}

// Result is what a run leaves, as Execute returns it.
type Result struct {
	// ExitCode is the code Main exits with (ExitOK, ExitFailures, …),
	// after any OnQuitting listener changed it.
	ExitCode int
	// Stats is the final statistics of the run's last test, as OnQuitting
	// gets them; on a worker, its own requests (kept once Node.Stats was
	// called there). Nil when nothing could run (invalid options, --help,
	// --list).
	Stats *StatsSnapshot
	// Reason is why the last test ended: "run time limit reached",
	// "interrupted", "a task stopped the test", "threshold broken: p95<500ms",
	// "stopped from code: <the error given to Node.StopTest>", …; "" when no
	// test ran.
	Reason string
}

// Exit codes of a run, as Run returns them and Main exits with.
const (
	ExitOK = 0
	// ExitFailures is the default of --exit-code-on-error: some request
	// failed, user code returned an error or panicked, or code stopped the
	// test with an error (Node.StopTest).
	ExitFailures = 1
	// ExitConfig: invalid flags, environment, config file or test
	// definition; nothing ran.
	ExitConfig = 2
	// ExitInternal: the run could not start or its reports could not be
	// written (a failed OnInit or OnTestStart listener, an unwritable file).
	ExitInternal = 3
	// ExitThreshold: a --threshold failed (it takes precedence over
	// ExitFailures: a run can fail its thresholds without any failed request).
	ExitThreshold = 4
	// ExitInterrupted: a second interrupt signal ended the process at once.
	ExitInterrupted = interrupt.ExitCode
)

// Env is the process state a run uses, so that a whole run can be driven
// in-process (tests) exactly as from a shell.
type Env struct {
	Prog   string              // program name for messages and --help
	Args   []string            // command-line arguments, without the program name
	Stdout io.Writer           // tables and JSON
	Stderr io.Writer           // logs and errors
	Getenv func(string) string // the environment (HERD_* variables)
	// Stdin, when it is a terminal, lets a headless run's user count be
	// changed with keys, as in Locust: w/W add 1/10 users, s/S remove 1/10.
	Stdin io.Reader
	// Exec starts this program again, for --processes workers: the
	// executable and any leading arguments (a subcommand). Empty means the
	// running executable.
	Exec []string
}

// Main runs t with the process's arguments, environment and signals, and
// exits with the run's exit code. The first SIGINT or SIGTERM stops the test
// gracefully (every report is still written); a second exits at once.
func Main(t *Test) {
	ctx, stop := interrupt.Context(os.Stderr)
	env := ProcessEnv()
	code, err := t.Run(ctx, env)
	stop()
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
	}
	os.Exit(code)
}

// ProcessEnv is the Env of this process: its arguments, standard output
// and error, and environment.
func ProcessEnv() Env {
	return Env{
		Prog:   filepath.Base(os.Args[0]),
		Args:   os.Args[1:],
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	}
}

// MainUsers is Main for a test that only declares user types.
func MainUsers(users ...*UserType) { Main(&Test{Users: users}) }
