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

	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/cpu"
	"github.com/herdload/herd/internal/keys"
	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
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
// reports are still written). It returns the exit code.
func (t *Test) Run(ctx context.Context, env Env) int {
	env = env.withDefaults()
	cfg, err := config.Load(env.Args, env.Getenv)
	if errors.Is(err, config.ErrHelp) {
		config.Usage(env.Stdout, env.Prog)
		t.writeTypes(env.Stdout)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\nRun %s --help for the options.\n", env.Prog, err, env.Prog)
		return ExitConfig
	}
	log, closeLog, err := newLogger(cfg, env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
		return ExitConfig
	}
	defer closeLog()

	types, err := t.prepare(&cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
		return ExitConfig
	}
	switch {
	case cfg.List:
		for _, ut := range types {
			fmt.Fprintln(env.Stdout, ut.Name)
		}
		return ExitOK
	case cfg.ShowTaskRatio:
		writeTaskRatio(env.Stdout, types, cfg.Tags, cfg.ExcludeTags)
		return ExitOK
	}
	s := &session{test: t, cfg: cfg, env: env, log: log, types: types}
	return s.run(ctx)
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

// prepare checks the test definition and picks the user types to run.
func (t *Test) prepare(cfg *config.Config) ([]*userType, error) {
	if len(t.Users) == 0 {
		return nil, errors.New("the test declares no user types")
	}
	var errs []error
	seen := map[string]bool{}
	var all []*userType
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
			errs = append(errs, fmt.Errorf("user type %s: Host %q is not an absolute http:// or https:// URL", ut.Name, ut.Host))
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
		all = append(all, &userType{UserType: ut, index: len(all), host: ut.Host, http: http})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	picked := all
	if len(cfg.UserClasses) > 0 {
		picked = nil
		for _, name := range cfg.UserClasses {
			i := slices.IndexFunc(all, func(ut *userType) bool { return ut.Name == name })
			if i < 0 {
				errs = append(errs, fmt.Errorf("unknown user type %q (the test has: %s)", name, typeNames(all)))
				continue
			}
			if !slices.Contains(picked, all[i]) {
				picked = append(picked, all[i])
			}
		}
	}
	if len(cfg.Tags) > 0 || len(cfg.ExcludeTags) > 0 {
		var kept []*userType
		for _, ut := range picked {
			if len(filterTasks(ut.New().Tasks(), cfg.Tags, cfg.ExcludeTags)) > 0 {
				kept = append(kept, ut)
			}
		}
		if len(kept) == 0 && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("no task matches --tags %v --exclude-tags %v", cfg.Tags, cfg.ExcludeTags))
		}
		picked = kept
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, ut := range picked {
		ut.index = i
	}
	return picked, nil
}

func validHost(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
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

// session is one headless run: the runner plus statistics, console and
// report files around it.
type session struct {
	test  *Test
	cfg   config.Config
	env   Env
	log   *slog.Logger
	types []*userType

	stats   *stats.Stats
	runner  *runner
	csv     *report.CSVFiles
	history []stats.HistoryRow // total rows, for the JSON report
	out     io.Writer          // where tables go: stderr when stdout carries JSON
	// finalUsers is the user count when the stop began, for the summary.
	finalUsers int
	target     int      // the user count asked for
	spawned    chan int // a ramp reached its target
	keys       chan int // user count changes typed on the keyboard
}

// spawnedAll tells the loop a ramp is complete (runs on the ramp goroutine).
func (s *session) spawnedAll(n int) {
	select {
	case s.spawned <- n:
	default: // the loop has not taken the previous one: it reports the count anyway
	}
}

func (s *session) run(ctx context.Context) int {
	cfg := s.cfg
	s.out = s.env.Stdout
	if cfg.JSON {
		s.out = s.env.Stderr
	}
	if !cfg.Headless {
		s.log.Warn("the web UI is not available yet: running headless (pass --headless to silence this)")
	}
	stopDemo, err := s.resolveHosts()
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "%s: %v\n", s.env.Prog, err)
		return ExitConfig
	}
	defer stopDemo()

	if cfg.CSVPrefix != "" {
		if s.csv, err = report.OpenCSV(cfg.CSVPrefix, cfg.CSVFullHistory); err != nil {
			fmt.Fprintf(s.env.Stderr, "%s: --csv: %v\n", s.env.Prog, err)
			return ExitConfig
		}
		defer s.csv.Close()
	}

	info := &RunInfo{Host: cfg.Host, Users: cfg.Users, SpawnRate: cfg.SpawnRate}
	for _, ut := range s.types {
		info.UserTypes = append(info.UserTypes, ut.Name)
	}
	for _, fn := range s.test.Events.init {
		if err := fn(ctx, info); err != nil {
			s.log.Error("init listener failed: not starting", "err", err)
			return ExitInternal
		}
	}
	start := time.Now()
	s.stats = stats.New(start, stats.Options{FullHistory: cfg.CSVFullHistory})
	s.runner, err = newRunner(s.types, s.stats, &s.test.Events, s.log, runnerOptions{
		stopTimeout:    cfg.StopTimeout,
		requestTimeout: cfg.RequestTimeout,
		tags:           cfg.Tags,
		exclude:        cfg.ExcludeTags,
	})
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "%s: %v\n", s.env.Prog, err)
		return ExitConfig
	}
	for _, fn := range s.test.Events.testStart {
		if err := fn(ctx); err != nil {
			s.log.Error("test start listener failed: not starting", "err", err)
			return ExitInternal
		}
	}

	if cfg.RunTime > 0 {
		s.log.Info("run time limit set", "run_time", cfg.RunTime)
	}
	s.log.Info("ramping users", "users", cfg.Users, "spawn_rate", cfg.SpawnRate)
	s.spawned = make(chan int, 1)
	s.target = cfg.Users
	s.runner.start(s.target, cfg.SpawnRate, s.spawnedAll)
	if f, ok := s.env.Stdin.(*os.File); ok {
		s.keys = make(chan int, 16)
		stop, ok := keys.Watch(f, func(k byte) {
			if d := keys.Delta(k); d != 0 {
				select {
				case s.keys <- d:
				default:
				}
			}
		})
		defer stop()
		if ok {
			s.log.Info("keys: w/W add 1/10 users, s/S remove 1/10")
		}
	}

	reason := s.loop(ctx, start)
	s.finalUsers = s.runner.userCount()
	s.log.Info("stopping", "reason", reason, "users", s.finalUsers)
	if left := s.runner.stop(stopGrace); left > 0 {
		s.log.Warn("some users did not stop (their code ignores its context); reporting without them", "users", left)
	}
	for _, fn := range s.test.Events.testStop {
		fn(context.WithoutCancel(ctx))
	}
	return s.finish(time.Now())
}

// loop ticks the statistics and prints the console table until the run
// ends, and says why it ended.
func (s *session) loop(ctx context.Context, start time.Time) string {
	var deadline <-chan time.Time
	if s.cfg.RunTime > 0 {
		t := time.NewTimer(s.cfg.RunTime)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	meter := cpu.NewMeter(start)
	var lastWarn time.Time
	lastConsole := start
	for {
		select {
		case <-ctx.Done():
			return "interrupted"
		case <-deadline:
			return "run time limit reached"
		case <-s.runner.stopTestRequested():
			return "a task stopped the test"
		case d := <-s.keys:
			s.target = max(s.target+d, 0)
			s.log.Info("changing the user count", "users", s.target)
			s.runner.start(s.target, s.cfg.SpawnRate, s.spawnedAll)
		case n := <-s.spawned:
			s.log.Info("all users spawned", "users", n, "per_type", s.runner.countsByType())
			if s.cfg.ResetStats {
				s.log.Info("resetting stats (--reset-stats)")
				s.stats.Reset(time.Now())
				s.history = s.history[:0]
			}
		case now := <-tick.C:
			s.tick(now, s.runner.userCount())
			if share, ok := meter.Sample(now); ok && share > cpuWarnAt && now.Sub(lastWarn) > time.Minute {
				lastWarn = now
				s.log.Warn(fmt.Sprintf("herd's own CPU use is %.0f%% of its %d cores: it may be the bottleneck and its response times are suspect; spread the load over more processes or machines",
					share*100, meter.Cores()))
			}
			if !s.cfg.OnlySummary && now.Sub(lastConsole) >= consoleEvery-tickEvery/2 {
				lastConsole = now
				report.WriteStats(s.out, s.stats.Snapshot(now, s.runner.userCount()), true)
				fmt.Fprintln(s.out)
			}
		}
	}
}

// tick closes one second of statistics and updates the CSV files.
func (s *session) tick(now time.Time, users int) {
	rows := s.stats.Tick(now, users)
	s.history = append(s.history, rows[len(rows)-1])
	if s.csv == nil {
		return
	}
	if err := s.csv.AppendHistory(rows); err != nil {
		s.log.Error("writing CSV history", "err", err)
	}
	if err := s.csv.Update(s.stats.Snapshot(now, users)); err != nil {
		s.log.Error("writing CSV", "err", err)
	}
}

// finish writes every report and computes the exit code.
func (s *session) finish(end time.Time) int {
	s.tick(end, s.finalUsers)
	snap := s.stats.Snapshot(end, s.finalUsers)
	report.WriteSummary(s.out, snap)

	code := ExitOK
	if snap.Total.Failures > 0 || len(snap.Errors) > 0 {
		code = s.cfg.ExitCodeOnError
	}
	var failed []error
	if s.csv != nil {
		if err := s.csv.Close(); err != nil {
			failed = append(failed, err)
		}
	}
	if s.cfg.JSON {
		if err := report.WriteJSON(s.env.Stdout, snap, s.history); err != nil {
			failed = append(failed, fmt.Errorf("--json: %w", err))
		}
	}
	if s.cfg.JSONFile != "" {
		if err := writeFile(s.cfg.JSONFile, func(w io.Writer) error { return report.WriteJSON(w, snap, s.history) }); err != nil {
			failed = append(failed, fmt.Errorf("--json-file: %w", err))
		}
	}
	if s.cfg.HTMLFile != "" {
		s.log.Warn("--html is not available yet: no HTML report written", "file", s.cfg.HTMLFile)
	}
	if len(failed) > 0 {
		s.log.Error("writing reports failed", "err", errors.Join(failed...))
		code = ExitInternal
	}
	q := &Quit{Stats: snap, ExitCode: code}
	for _, fn := range s.test.Events.quitting {
		fn(q)
	}
	s.log.Info("shutting down", "exit_code", q.ExitCode)
	return q.ExitCode
}

// writeFile writes a file in full or not at all.
func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(dirOf(path), ".herd-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// resolveHosts sets every user type's base URL: -H wins, then the type's
// own Host, then (with DemoTarget) the built-in demo shop.
func (s *session) resolveHosts() (stop func(), err error) {
	stop = func() {}
	var missing []string
	for _, ut := range s.types {
		if s.cfg.Host != "" {
			ut.host = s.cfg.Host
		}
		if ut.host == "" && ut.http {
			missing = append(missing, ut.Name)
		}
	}
	if len(missing) == 0 {
		return stop, nil
	}
	if !s.test.DemoTarget {
		return stop, fmt.Errorf("no host for user type %s: pass -H/--host http://… or set UserType.Host", strings.Join(missing, ", "))
	}
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		return stop, fmt.Errorf("starting the demo target: %w", err)
	}
	s.log.Info("no host given: testing herd's built-in demo shop", "host", srv.URL)
	for _, ut := range s.types {
		if ut.host == "" {
			ut.host = srv.URL
		}
	}
	return func() { srv.Close() }, nil
}
