package herd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/control"
	"github.com/herdload/herd/internal/threshold"
	"github.com/herdload/herd/internal/version"
)

const (
	consoleEvery = 2 * time.Second
	tickEvery    = time.Second
	// stopGrace is how long, past the stop timeout, stopping waits for user
	// code that ignores its context before writing reports anyway.
	stopGrace = 5 * time.Second
	// cpuWarnAt is the share of usable cores above which numbers are suspect.
	cpuWarnAt = 0.9
)

// Run runs the test with env's arguments and environment until the run
// time ends, a task stops the test, or ctx is cancelled (a graceful stop:
// reports are still written). It returns the exit code, and an error when
// the options are wrong, the run could not start or its reports could not
// be written; Main prints it. Execute does the same and also returns the
// final statistics.
func (t *Test) Run(ctx context.Context, env Env) (int, error) {
	res, err := t.Execute(ctx, env)
	return res.ExitCode, err
}

// Execute runs the test as Run does, for a program that uses herd as a
// library (Locust's use_as_lib.py): it never exits the process, and
// returns the run's Result: its exit code, the last test's final
// statistics and why it ended. Options come from env as from a command
// line (env.Args, env.Getenv), so a program sets them in code:
//
//	res, err := test.Execute(ctx, herd.Env{Args: []string{"--headless", "-u", "10", "-r", "5", "-t", "1m"}})
//
// While it runs, event listeners and tasks reach the run through
// NodeFrom(ctx): live statistics, state, users, StopTest, SetUsers.
// Cancelling ctx stops the test gracefully (reports are still written).
// The error is the one Run returns.
func (t *Test) Execute(ctx context.Context, env Env) (Result, error) {
	env = env.withDefaults()
	defaults, err := t.defaults()
	if err != nil {
		return Result{ExitCode: ExitConfig}, err
	}
	cfg, err := config.Load(config.Input{Args: env.Args, Getenv: env.Getenv, Defaults: defaults,
		Custom: t.Options.decls})
	if errors.Is(err, config.ErrHelp) {
		config.UsageFor(env.Stdout, env.Prog, config.Input{Defaults: defaults, Custom: t.Options.decls})
		t.writeTypes(env.Stdout)
		return Result{ExitCode: ExitOK}, nil
	}
	if errors.Is(err, config.ErrVersion) {
		if err := version.Read().Write(env.Stdout, env.Prog); err != nil {
			return Result{ExitCode: ExitInternal}, fmt.Errorf("--version: %w", err)
		}
		return Result{ExitCode: ExitOK}, nil
	}
	if err != nil {
		return Result{ExitCode: ExitConfig}, fmt.Errorf("%w\nRun %s --help for the options", err, env.Prog)
	}
	log, closeLog, err := newLogger(cfg, env.Stderr)
	if err != nil {
		return Result{ExitCode: ExitConfig}, err
	}
	defer closeLog()
	stopLimit := startMemoryLimit(cfg, env, log)
	defer stopLimit()
	for _, n := range cfg.Notes {
		log.Info(n)
	}

	all, picked, err := t.prepare(&cfg)
	if err != nil {
		return Result{ExitCode: ExitConfig}, err
	}
	switch {
	case cfg.List:
		for _, ut := range all {
			fmt.Fprintln(env.Stdout, ut.Name)
		}
		return Result{ExitCode: ExitOK}, nil
	case cfg.ShowTaskRatio:
		writeTaskRatio(env.Stdout, picked, cfg.Tags, cfg.ExcludeTags)
		return Result{ExitCode: ExitOK}, nil
	}
	node := newNode(cfg)
	ctl, err := control.New(t.controlOptions(cfg, env, log, node, all, picked))
	if err != nil {
		return Result{ExitCode: ExitConfig}, err
	}
	node.attach(ctl)
	code, err := ctl.Run(ctx)
	res := Result{ExitCode: code}
	if snap, end := ctl.Final(); snap != nil {
		res.Stats = newStatsSnapshot(snap)
		if end.Reason != control.NotEnded {
			res.Reason = end.String()
		}
	}
	return res, err
}

// defaults is the test program's own layer of options: Defaults, then
// each of Thresholds as a --threshold.
func (t *Test) defaults() ([]string, error) {
	if len(t.Thresholds) == 0 {
		return t.Defaults, nil
	}
	out := slices.Clone(t.Defaults)
	var errs []error
	for i, expr := range t.Thresholds {
		if _, err := threshold.Parse(expr); err != nil {
			errs = append(errs, fmt.Errorf("Test.Thresholds[%d]: %w", i, err))
			continue
		}
		out = append(out, "--threshold="+expr)
	}
	return out, errors.Join(errs...)
}

func (e Env) withDefaults() Env {
	if e.Prog == "" {
		e.Prog = "herd"
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	return e
}

// newLogger logs to --logfile, else stderr, at --loglevel.
func newLogger(cfg config.Config, stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("--logfile: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: cfg.LogLevel,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.String(slog.TimeKey, a.Value.Time().Format("15:04:05.000"))
			}
			return a
		},
	})
	return slog.New(h), closeFn, nil
}

// prepare checks the test definition. It returns every user type that has
// tasks under the tag filters, and those picked on the command line (all of
// them when none is named).
func (t *Test) prepare(cfg *config.Config) (all, picked []*userType, err error) {
	if len(t.Users) == 0 {
		if cfg.Master {
			return nil, nil, nil // a master without code learns the classes from its workers
		}
		return nil, nil, errors.New("the test declares no user types")
	}
	var errs []error
	seen := map[string]bool{}
	for i, ut := range t.Users {
		switch {
		case ut == nil:
			errs = append(errs, fmt.Errorf("user type %d is nil", i))
			continue
		case ut.Name == "":
			errs = append(errs, fmt.Errorf("user type %d has no Name", i))
			continue
		case seen[ut.Name]:
			errs = append(errs, fmt.Errorf("two user types are named %q", ut.Name))
			continue
		case ut.New == nil:
			errs = append(errs, fmt.Errorf("user type %s has no New function", ut.Name))
			continue
		case ut.Weight < 0 || ut.FixedCount < 0:
			errs = append(errs, fmt.Errorf("user type %s: negative Weight or FixedCount", ut.Name))
			continue
		case ut.Host != "" && !validHost(ut.Host):
			errs = append(errs, fmt.Errorf("user type %s: Host %q is neither an absolute URL (http://shop, grpc://shop:50051) nor host:port", ut.Name, ut.Host))
			continue
		}
		seen[ut.Name] = true
		probe := ut.New()
		if probe == nil {
			errs = append(errs, fmt.Errorf("user type %s: New returned nil", ut.Name))
			continue
		}
		tasks := probe.Tasks()
		if len(tasks) == 0 {
			errs = append(errs, fmt.Errorf("user type %s has no tasks", ut.Name))
			continue
		}
		if err := checkTasks(ut.Name, tasks); err != nil {
			errs = append(errs, err)
			continue
		}
		_, http := probe.(initer)
		if http && ut.Host != "" && !isHTTPURL(ut.Host) {
			errs = append(errs, httpHostError(ut.Name, ut.Host))
			continue
		}
		all = append(all, &userType{UserType: ut, index: len(all), host: ut.Host, http: http})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if len(cfg.Tags) > 0 || len(cfg.ExcludeTags) > 0 {
		all = slices.DeleteFunc(all, func(ut *userType) bool {
			return len(filterTasks(ut.New().Tasks(), cfg.Tags, cfg.ExcludeTags)) == 0
		})
		if len(all) == 0 {
			return nil, nil, fmt.Errorf("no task matches --tags %v --exclude-tags %v", cfg.Tags, cfg.ExcludeTags)
		}
	}
	picked = all
	if len(cfg.UserClasses) > 0 {
		picked = nil
		for _, name := range cfg.UserClasses {
			i := slices.IndexFunc(all, func(ut *userType) bool { return ut.Name == name })
			if i < 0 {
				if slices.ContainsFunc(t.Users, func(u *UserType) bool { return u.Name == name }) {
					errs = append(errs, fmt.Errorf("user type %q has no task matching --tags/--exclude-tags", name))
				} else {
					errs = append(errs, fmt.Errorf("unknown user type %q (the test has: %s)", name, typeNames(all)))
				}
				continue
			}
			if !slices.Contains(picked, all[i]) {
				picked = append(picked, all[i])
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return all, picked, nil
}

// validHost reports whether h can be a user type's host: an absolute URL of
// any scheme with a host ("http://shop", "grpc://inventory:50051") or
// "host:port". HTTP users also need http(s) (see httpHostError).
func validHost(h string) bool {
	if strings.Contains(h, "://") {
		u, err := url.Parse(h)
		return err == nil && u.Scheme != "" && u.Host != ""
	}
	return isHostPort(h)
}

// httpHostError is the error of an HTTP user type given a host that is not
// http(s).
func httpHostError(typ, host string) error {
	return fmt.Errorf("user type %s is an HTTP user (HTTPUser, FastHTTPUser): its host %q is not an absolute http:// or https:// URL", typ, host)
}

func typeNames(types []*userType) string {
	names := make([]string, len(types))
	for i, ut := range types {
		names[i] = ut.Name
	}
	return strings.Join(names, ", ")
}

func (t *Test) writeTypes(w io.Writer) {
	fmt.Fprintln(w, "\nUser types in this test (run a subset by naming them as arguments):")
	for _, ut := range t.Users {
		if ut != nil {
			fmt.Fprintf(w, "  %s\n", ut.Name)
		}
	}
}
