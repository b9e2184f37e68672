// Package config resolves herd's run configuration.
//
// A run is configured from four layers, each overriding the one before it
// field by field:
//
//  1. built-in defaults (see [Default]),
//  2. a config file named by --config FILE or HERD_CONFIG,
//  3. environment variables HERD_<OPTION> (the long flag name upper-cased,
//     dashes turned into underscores: HERD_USERS, HERD_SPAWN_RATE, ...),
//  4. command-line flags, named like Locust's (-u/--users, -r/--spawn-rate, ...).
//
// [Load] resolves all layers into one plain [Config] and reports every problem
// it finds at once as a [Problems] error, each problem naming the option, what
// was wrong and where the bad value came from.
//
// Config files ending in .toml are TOML (top-level keys or a [herd] table);
// any other file is read in Locust's config-file format:
//
//	# comment
//	[locust]          ; section headers are ignored
//	users = 10
//	spawn-rate = 2
//	run_time = 1m30s
//	headless = true
//	tags = [checkout, search]
//
// Keys are the long flag names; underscores may be used instead of dashes.
// Positional user classes are given with the key user-classes (and the
// environment variable HERD_USER_CLASSES).
package config

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// ErrHelp is returned by [Load], unwrapped, when -h or --help is on the
// command line. The caller should print [Usage] and exit successfully.
var ErrHelp = errors.New("config: help requested")

// Config is herd's resolved run configuration. The zero value is not useful;
// start from [Default] or use [Load].
type Config struct {
	// Users is the peak number of concurrent users (-u, --users). Default 1.
	Users int
	// SpawnRate is the rate to start users at, in users per second
	// (-r, --spawn-rate). Must be > 0. Default 1.
	SpawnRate float64
	// RunTime stops the test after this long (-t, --run-time); 0 runs until
	// stopped. Accepts Go durations ("1h30m", "90s") and a bare number of
	// seconds ("300").
	RunTime time.Duration
	// Host is the base URL to load test (-H, --host): empty or an absolute
	// http:// or https:// URL without a trailing slash.
	Host string
	// Headless disables the web UI and starts the test immediately (--headless).
	Headless bool
	// StopTimeout is how long to wait for running tasks to finish when
	// stopping (-s, --stop-timeout). Default 0: stop immediately.
	StopTimeout time.Duration
	// Shape is a built-in load shape spec (--shape); empty: none.
	Shape string
	// ArrivalRate switches to the open model: iterations start at this rate
	// spec (--arrival-rate); empty: the closed model.
	ArrivalRate string
	// Arrivals is "uniform" (or empty) or "poisson" (--arrivals).
	Arrivals string
	// MaxUsers bounds an open-model pool (--max-users); 0 means Users.
	MaxUsers int
	// MaxLateness drops open-model iterations that waited longer than this
	// for a free user (--max-lateness). Default 10s.
	MaxLateness time.Duration
	// Thresholds are pass/fail conditions (--threshold, repeatable).
	Thresholds []string
	// JUnitFile receives the thresholds' results as JUnit XML (--junit).
	JUnitFile string
	// Tags restricts the run to tasks with any of these tags (-T, --tags).
	Tags []string
	// ExcludeTags skips tasks with any of these tags (-E, --exclude-tags).
	ExcludeTags []string
	// CSVPrefix enables CSV stats files named PREFIX_stats.csv, ... (--csv).
	CSVPrefix string
	// CSVFullHistory writes every stats entry to PREFIX_stats_history.csv
	// (--csv-full-history); requires CSVPrefix.
	CSVFullHistory bool
	// JSON prints the final stats as JSON to stdout (--json).
	JSON bool
	// JSONFile writes the final stats as JSON to this file (--json-file).
	JSONFile string
	// HTMLFile writes an HTML report to this file (--html).
	HTMLFile string
	// PrintStats prints stats in the console during the run (--print-stats).
	PrintStats bool
	// OnlySummary prints only the summary stats (--only-summary).
	OnlySummary bool
	// ResetStats resets statistics once spawning has completed (--reset-stats).
	ResetStats bool
	// List shows the available user classes and exits (-l, --list).
	List bool
	// ShowTaskRatio prints the user classes' task execution ratio
	// (--show-task-ratio).
	ShowTaskRatio bool
	// ExitCodeOnError is the process exit code when the run had any failure
	// (--exit-code-on-error), 0..255. Default 1.
	ExitCodeOnError int
	// LogLevel is the minimum log level (-L, --loglevel). Default INFO.
	LogLevel slog.Level
	// LogFile is the log file path (--logfile); empty logs to stderr.
	LogFile string
	// ConfigFile is the config file that was read (--config or HERD_CONFIG),
	// empty when none.
	ConfigFile string
	// RequestTimeout is herd's per-HTTP-request timeout (--request-timeout).
	// Must be > 0. Default 60s.
	RequestTimeout time.Duration
	// UserClasses are the user types to run (positional arguments); empty
	// means all of them.
	UserClasses []string

	// WebHost is the interface the web UI binds to (--web-host). Empty, the
	// default, means all interfaces, like Locust's "*" (which is accepted and
	// stored as "").
	WebHost string
	// WebPort is the web UI port (-P, --web-port), 1..65535. Default 8089.
	WebPort int
	// Autostart starts the test immediately without disabling the web UI
	// (--autostart).
	Autostart bool
	// WebBasePath is the path prefix the web UI is served under
	// (--web-base-path): "" or "/x" without a trailing slash.
	WebBasePath string
	// WebAuth is "user:password" for basic auth on every web route (--web-auth).
	WebAuth string
	// TLSCert and TLSKey serve the web UI over HTTPS (--tls-cert, --tls-key).
	TLSCert, TLSKey string
	// ClassPicker lets the start form choose user classes (--class-picker).
	ClassPicker bool
	// Master runs this process as the master of a distributed test (--master).
	Master bool
	// MasterBindHost and MasterBindPort are where the master listens
	// (--master-bind-host "*" for all interfaces, stored as ""; port 5557).
	MasterBindHost string
	MasterBindPort int
	// ExpectWorkers is how many workers a headless or autostarted master
	// waits for (--expect-workers, default 1); ExpectWorkersMaxWait bounds
	// the wait in seconds, 0 waiting forever.
	ExpectWorkers        int
	ExpectWorkersMaxWait int
	// EnableRebalancing redistributes users when workers come and go.
	EnableRebalancing bool
	// Worker runs this process as a worker (--worker) of the master at
	// MasterHost:MasterPort (default 127.0.0.1:5557).
	Worker     bool
	MasterHost string
	MasterPort int
	// Processes runs that many local worker processes under a master in
	// this process (--processes; -1: one per core; 0: none).
	Processes int
	// Autoquit quits herd this many seconds after the run finished
	// (--autoquit); -1, the default, disables it. Requires Autostart.
	Autoquit int
}

// Default returns the built-in defaults, the bottom layer of [Load].
func Default() Config {
	return Config{
		Users:           1,
		SpawnRate:       1,
		ExitCodeOnError: 1,
		MaxLateness:     10 * time.Second,
		LogLevel:        slog.LevelInfo,
		RequestTimeout:  60 * time.Second,
		WebPort:         8089,
		MasterBindHost:  "",
		MasterBindPort:  5557,
		ExpectWorkers:   1,
		MasterHost:      "127.0.0.1",
		MasterPort:      5557,
		Autoquit:        -1,
	}
}

// Load resolves the configuration from defaults < config file < environment <
// command-line flags, per field, and validates the result.
//
// args are the command-line arguments without the program name; getenv reads
// the environment (os.Getenv in production, a map lookup in tests; nil means
// an empty environment). An empty environment variable counts as unset.
// Unknown HERD_* variables are ignored.
//
// Load returns [ErrHelp] for -h/--help. Otherwise any error is a [Problems]
// listing every problem found; the returned Config then holds whatever could
// be resolved (bad values keep their defaults).
func Load(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := Default()

	fs := pflag.NewFlagSet("herd", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	raws := make(map[string]*rawFlag, len(options))
	for i := range options {
		o := &options[i]
		if o.positional {
			continue
		}
		r := &rawFlag{opt: o}
		raws[o.name] = r
		f := fs.VarPF(r, o.name, o.short, o.help)
		if o.isBool() {
			f.NoOptDefVal = "true"
		}
	}
	help := fs.BoolP("help", "h", false, "show this help message and exit")
	if err := fs.Parse(args); err != nil {
		if wantsHelp(args) {
			return Default(), ErrHelp
		}
		return cfg, Problems{{
			Source:  "command line",
			Message: err.Error() + " (run with --help to see the options)",
		}}
	}
	if *help {
		return Default(), ErrHelp
	}

	var probs Problems

	// The config file is named on the command line or in the environment.
	var file map[string]fileValue
	path, pathSource := "", ""
	if r := raws["config"]; r.set {
		path, pathSource = r.vals[len(r.vals)-1], "flag --config"
	} else if v := getenv(envName("config")); v != "" {
		path, pathSource = v, "environment "+envName("config")
	}
	if path != "" {
		var fp Problems
		file, fp = readConfigFile(path, pathSource)
		probs = append(probs, fp...)
	}

	sources := make(map[string]string, len(options))
	for i := range options {
		o := &options[i]
		var vals []string
		var src string
		switch {
		case o.positional && len(fs.Args()) > 0:
			vals, src = fs.Args(), "command line"
		case !o.positional && raws[o.name].set:
			vals, src = raws[o.name].vals, "flag --"+o.name
		}
		if vals == nil {
			if v := getenv(envName(o.name)); v != "" {
				vals, src = []string{v}, "environment "+envName(o.name)
			}
		}
		if vals == nil {
			if fv, ok := file[o.name]; ok {
				vals, src = fv.vals, fv.source
			}
		}
		if vals == nil {
			continue
		}
		sources[o.name] = src
		if err := o.assign(&cfg, vals); err != nil {
			probs = append(probs, Problem{Source: src, Field: o.name, Message: err.Error()})
		}
	}

	if err := cfg.Validate(); err != nil {
		var vp Problems
		if errors.As(err, &vp) {
			for _, p := range vp {
				if p.Source == "" {
					p.Source = sources[p.Field]
				}
				probs = append(probs, p)
			}
		}
	}
	if len(probs) > 0 {
		// Problems about no single option (config-file syntax, unknown keys)
		// come first, then the rest in the order options are listed in --help.
		slices.SortStableFunc(probs, func(a, b Problem) int { return optionIndex(a.Field) - optionIndex(b.Field) })
		return cfg, probs
	}
	return cfg, nil
}

// optionIndex is the position of the named option in the option table, or
// -1 for "".
func optionIndex(name string) int {
	return slices.IndexFunc(options, func(o option) bool { return o.name == name })
}

// wantsHelp reports whether -h or --help appears before a "--" terminator.
// It lets help win over an unrelated flag syntax error.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

// envName is the environment variable for the option with long name name.
func envName(name string) string {
	return "HERD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// rawFlag is a pflag.Value that only records the raw text given on the
// command line; conversion happens later so that every layer is converted,
// and every problem reported, the same way.
type rawFlag struct {
	opt  *option
	vals []string
	set  bool
}

func (r *rawFlag) String() string { return strings.Join(r.vals, ",") }

func (r *rawFlag) Set(s string) error {
	if r.opt.isList() {
		r.vals = append(r.vals, s) // repeated list flags accumulate
	} else {
		r.vals = []string{s} // the last one wins
	}
	r.set = true
	return nil
}

func (r *rawFlag) Type() string { return r.opt.typeName() }

// lookupOption finds an option by long name, also accepting underscores for
// dashes and any letter case, as config-file keys may be written.
func lookupOption(key string) *option {
	k := strings.ToLower(strings.ReplaceAll(key, "_", "-"))
	i := slices.IndexFunc(options, func(o option) bool { return o.name == k })
	if i < 0 {
		return nil
	}
	return &options[i]
}
