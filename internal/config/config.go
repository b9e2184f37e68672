// Package config resolves herd's run configuration.
//
// A run is configured from five layers, each overriding the one before it
// field by field:
//
//  1. built-in defaults (see [Default]),
//  2. the test program's own defaults ([Input.Defaults]), written as
//     command-line arguments: what `herd demo` or a test's main sets,
//  3. a config file named by --config FILE or HERD_CONFIG,
//  4. environment variables HERD_<OPTION> (the long flag name upper-cased,
//     dashes turned into underscores: HERD_USERS, HERD_SPAWN_RATE, ...),
//  5. command-line flags, named like Locust's (-u/--users, -r/--spawn-rate, ...).
//
// [Load] resolves all layers into one plain [Config] of typed values (a
// load shape, an arrival rate and thresholds are parsed once, here) and
// reports every problem it finds at once as a [Problems] error, each problem
// naming the option, what was wrong and where the bad value came from. A bad
// value is reported even when a higher layer overrides it. Files the run
// will write (--html, --json-file, --junit, --csv, --logfile) are checked
// before any run starts.
//
// Durations everywhere are read by internal/duration: a Go duration ("90s",
// "1h30m") or a number of seconds ("300").
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
	"log/slog"
	"time"

	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/threshold"
)

// ErrHelp is returned by [Load], unwrapped, when -h or --help is on the
// command line. The caller should print [Usage] and exit successfully.
var ErrHelp = errors.New("config: help requested")

// ErrVersion is returned by [Load], unwrapped, when -V or --version is on
// the command line (and help is not). The caller should print its version
// and exit successfully.
var ErrVersion = errors.New("config: version requested")

// Config is herd's resolved run configuration. The zero value is not useful;
// start from [Default] or use [Load].
type Config struct {
	// Notes say what Load ignored that a user may expect to matter (a
	// Locust config file's locustfile key), for the run to log.
	Notes []string
	// Custom holds the values of the test program's own options
	// (Input.Custom) by name, each of its Default's type; nil without any.
	Custom map[string]any
	// Users is the peak number of concurrent users (-u, --users). Default 1.
	Users int
	// SpawnRate is the rate to start users at, in users per second
	// (-r, --spawn-rate). Must be > 0. Default 1.
	SpawnRate float64
	// RunTime stops the test after this long (-t, --run-time); 0 runs until
	// stopped. Accepts Go durations ("1h30m", "90s") and a bare number of
	// seconds ("300").
	RunTime time.Duration
	// Host is the base URL to load test (-H, --host): empty, an absolute
	// URL without a trailing slash (http:// or https:// for HTTP users, any
	// scheme for others), or host:port.
	Host string
	// Headless disables the web UI and starts the test immediately (--headless).
	Headless bool
	// StopTimeout is how long to wait for running tasks to finish when
	// stopping (-s, --stop-timeout). Default 0: stop immediately.
	StopTimeout time.Duration
	// Shape is the built-in load shape (--shape), nil for none. Its String
	// is the spec in canonical form, for logs and the web UI.
	Shape *shape.Shape
	// ArrivalRate switches to the open model: iterations start at this rate
	// (--arrival-rate); nil: the closed model. Its String is the spec in
	// canonical form.
	ArrivalRate *shape.Rate
	// Poisson spaces open-model arrivals as a Poisson process instead of
	// evenly (--arrivals poisson; uniform, the default, is false).
	Poisson bool
	// MaxUsers bounds an open-model pool (--max-users); 0 means Users.
	MaxUsers int
	// MaxLateness drops open-model iterations that waited longer than this
	// for a free user (--max-lateness). Default 10s.
	MaxLateness time.Duration
	// ArrivalQuantum is how often, at most, the open model's dispatcher
	// wakes to start the iterations due (--arrival-quantum, default 10ms;
	// 0: each at its own instant). Each process uses its own.
	ArrivalQuantum time.Duration
	// Thresholds are pass/fail conditions (--threshold, repeatable). Each
	// one's String is its expression in canonical form.
	Thresholds []threshold.Threshold
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
	// WebHostAllow are host names the web UI answers to without auth,
	// besides its bind address, localhost and IP addresses
	// (--web-host-allow); "*.example.com" allows the names under
	// example.com, "*" allows any.
	WebHostAllow []string
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
	// MasterToken is a shared secret between a master and its workers
	// (--master-token); empty: none, and Locust workers may join.
	MasterToken string
	// Worker runs this process as a worker (--worker) of the master at
	// MasterHost:MasterPort (default 127.0.0.1:5557).
	Worker     bool
	MasterHost string
	MasterPort int
	// MaxNames bounds the distinct request names of a run (--max-names);
	// 0: no limit. Default 20000.
	MaxNames int
	// Processes runs that many local worker processes under a master in
	// this process (--processes; -1: one per core; 0: none).
	Processes int
	// Autoquit quits herd this many seconds after the run finished
	// (--autoquit); -1, the default, disables it. Requires Autostart.
	Autoquit int

	// MetricsPort serves Prometheus metrics at /metrics on this port of
	// WebHost (--metrics-port), with the web UI's auth and TLS: for a
	// headless run, or beside the web UI's own /metrics. 0 picks a free
	// port; -1, the default, serves none. Workers ignore it.
	MetricsPort int
	// OTLPEndpoint is the URL metrics are pushed to over OTLP/HTTP
	// (--otlp-endpoint, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT): a URL without a path gets /v1/metrics.
	// "" pushes none. Workers ignore it.
	OTLPEndpoint string
	// JSONLFile receives the per-second history as JSON lines (--jsonl):
	// one per endpoint and the total each second. Workers ignore it.
	JSONLFile string
	// MemoryLimit is --memory-limit as given: "" or "auto" (the default),
	// "off", or a size (see internal/memlimit). GOMEMLIMIT wins over it.
	MemoryLimit string
}

// Default returns the built-in defaults, the bottom layer of [Load].
func Default() Config {
	return Config{
		Users:           1,
		SpawnRate:       1,
		ExitCodeOnError: 1,
		MaxLateness:     10 * time.Second,
		ArrivalQuantum:  10 * time.Millisecond,
		LogLevel:        slog.LevelInfo,
		RequestTimeout:  60 * time.Second,
		WebPort:         8089,
		MasterBindHost:  "",
		MasterBindPort:  5557,
		ExpectWorkers:   1,
		MasterHost:      "127.0.0.1",
		MasterPort:      5557,
		Autoquit:        -1,
		MaxNames:        20000,
		MetricsPort:     -1,
	}
}
