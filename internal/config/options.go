package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/herdload/herd/internal/duration"
	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/threshold"
)

// Help groups, in the order Usage prints them (Locust's grouping).
const (
	groupCommon = "Common options"
	groupWeb    = "Web UI options"
	groupDist   = "Distributed options"
	groupShape  = "Load shape, arrival rate and threshold options"
	groupTags   = "Tag options"
	groupStats  = "Request statistics options"
	groupLog    = "Logging options"
	groupOther  = "Other options"
	groupUsers  = "User classes"
)

var groups = []string{groupCommon, groupWeb, groupDist, groupShape, groupTags, groupStats, groupLog, groupOther, groupUsers}

// option describes one configurable setting: its flag, help text and the
// Config field it fills. The table below is the single list of options that
// flags, environment, config file and help text are all derived from.
type option struct {
	name       string // long flag name; also the config-file key and env suffix
	short      string // one-letter shorthand, or ""
	group      string
	metavar    string // placeholder shown in help instead of the type name
	help       string
	def        string // default shown in help, "" for none
	noDefault  string // said in help instead when there is no default
	positional bool   // not a flag: the positional arguments
	// field returns a pointer to the Config field the option sets: *int,
	// *float64, *bool, *string, *[]string, *time.Duration, *slog.Level,
	// **shape.Shape, **shape.Rate, *[]threshold.Threshold or *poisson.
	field func(*Config) any
	tidy  func(string) string // normalizes a string value before it is stored
	// whole keeps each value of a list option whole (commas and spaces are
	// part of it); an environment variable separates values by newlines.
	whole bool
	// standardEnv are variables of other tools' conventions that set the
	// option below HERD_<OPTION> (the first one set counts), such as
	// OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT.
	standardEnv []standardVar
	// custom marks a test program's own option (Custom): its field is a
	// fresh variable, and Load keeps its value in Config.Custom.
	custom bool
}

// standardVar is an environment variable of another tool's convention.
type standardVar struct {
	name string
	// value turns the variable's value into the option's; nil keeps it.
	value func(string) string
}

var options = []option{
	{name: "config", group: groupCommon, metavar: "file",
		help:  "Config file path: TOML if the name ends in .toml, otherwise Locust's key = value format",
		field: func(c *Config) any { return &c.ConfigFile }},
	{name: "host", short: "H", group: groupCommon, metavar: "url",
		help:  "Host to load test in the following format: http://10.21.32.33",
		field: func(c *Config) any { return &c.Host }, tidy: tidyHost},
	{name: "users", short: "u", group: groupCommon, def: "1",
		help:  "Peak number of concurrent users. Primarily used together with --headless or --autostart",
		field: func(c *Config) any { return &c.Users }},
	{name: "spawn-rate", short: "r", group: groupCommon, def: "1",
		help:  "Rate to spawn users at (users per second). Primarily used together with --headless or --autostart",
		field: func(c *Config) any { return &c.SpawnRate }},
	{name: "run-time", short: "t", group: groupCommon,
		help: "Stop after the specified amount of time, e.g. 300s, 20m, 3h, 1h30m, or a number of seconds (300). Only used together with --headless or --autostart.", noDefault: "Defaults to run forever",
		field: func(c *Config) any { return &c.RunTime }},
	{name: "list", short: "l", group: groupCommon,
		help:  "Show list of possible User classes and exit",
		field: func(c *Config) any { return &c.List }},

	{name: "web-host", group: groupWeb,
		help:  "Host to bind the web interface to. Defaults to all interfaces ('' or '*')",
		field: func(c *Config) any { return &c.WebHost }, tidy: tidyWebHost},
	{name: "web-port", short: "P", group: groupWeb, def: "8089",
		help:  "Port on which to run web host; 0 picks a free port",
		field: func(c *Config) any { return &c.WebPort }},
	{name: "web-base-path", group: groupWeb, metavar: "path",
		help:  "Serve the web UI under this path prefix, e.g. /herd behind a reverse proxy",
		field: func(c *Config) any { return &c.WebBasePath }, tidy: tidyBasePath},
	{name: "web-auth", group: groupWeb, metavar: "user:password",
		help:  "Protect every web UI route with HTTP basic auth",
		field: func(c *Config) any { return &c.WebAuth }},
	{name: "tls-cert", group: groupWeb, metavar: "file",
		help:  "TLS certificate (PEM) to serve the web UI over HTTPS; needs --tls-key",
		field: func(c *Config) any { return &c.TLSCert }},
	{name: "tls-key", group: groupWeb, metavar: "file",
		help:  "TLS private key (PEM) for --tls-cert",
		field: func(c *Config) any { return &c.TLSKey }},
	{name: "web-host-allow", group: groupWeb, metavar: "host",
		help:  "Without --web-auth the web UI answers only requests whose Host is its bind address, localhost or an IP address (against DNS rebinding); this allows another host name, or *.domain for the names under domain (repeatable; '*' allows any)",
		field: func(c *Config) any { return &c.WebHostAllow }},
	{name: "class-picker", group: groupWeb,
		help:  "Let the web UI's start form pick which user classes run",
		field: func(c *Config) any { return &c.ClassPicker }},
	{name: "headless", group: groupWeb,
		help:  "Disable the web interface, and start the test immediately. Use -u and -t to control user count and run time",
		field: func(c *Config) any { return &c.Headless }},
	{name: "autostart", group: groupWeb,
		help:  "Starts the test immediately (without disabling the web UI). Use -u and -t to control user count and run time",
		field: func(c *Config) any { return &c.Autostart }},
	{name: "autoquit", group: groupWeb, metavar: "seconds", def: "-1",
		help:  "Quits herd entirely, X seconds after the run is finished. Only used together with --autostart. -1 keeps herd running until you shut it down using CTRL+C",
		field: func(c *Config) any { return &c.Autoquit }},

	{name: "master", group: groupDist,
		help:  "Run as the master of a distributed test: workers connect to it and run the users",
		field: func(c *Config) any { return &c.Master }},
	{name: "master-bind-host", group: groupDist, def: "*", metavar: "host",
		help:  "Interface the master binds to ('*' for all)",
		field: func(c *Config) any { return &c.MasterBindHost }, tidy: tidyWebHost},
	{name: "master-bind-port", group: groupDist, def: "5557",
		help:  "Port the master binds to",
		field: func(c *Config) any { return &c.MasterBindPort }},
	{name: "expect-workers", group: groupDist, def: "1",
		help:  "How many workers the master waits for before starting a test (with --headless or --autostart)",
		field: func(c *Config) any { return &c.ExpectWorkers }},
	{name: "expect-workers-max-wait", group: groupDist, metavar: "seconds", def: "0",
		help:  "How long the master waits for --expect-workers before giving up; 0 waits forever",
		field: func(c *Config) any { return &c.ExpectWorkersMaxWait }},
	{name: "enable-rebalancing", group: groupDist,
		help:  "Redistribute users when workers join or leave during a test",
		field: func(c *Config) any { return &c.EnableRebalancing }},
	{name: "master-token", group: groupDist, metavar: "token",
		help:  "A shared secret: the master accepts only workers that present it, and workers present it (herd only: Locust workers cannot, so leave it unset to mix them)",
		field: func(c *Config) any { return &c.MasterToken }},
	{name: "worker", group: groupDist,
		help:  "Run as a worker of a distributed test: connect to --master-host and run the users it asks for",
		field: func(c *Config) any { return &c.Worker }},
	{name: "master-host", group: groupDist, def: "127.0.0.1", metavar: "host",
		help:  "Host or IP address of the master (with --worker)",
		field: func(c *Config) any { return &c.MasterHost }},
	{name: "master-port", group: groupDist, def: "5557",
		help:  "Port of the master (with --worker)",
		field: func(c *Config) any { return &c.MasterPort }},
	{name: "processes", group: groupDist, def: "0",
		help:  "Run this many worker processes on this machine under a master in this process; -1 runs one per CPU core",
		field: func(c *Config) any { return &c.Processes }},

	{name: "shape", group: groupShape, metavar: "spec",
		help:  "Drive the user count with a built-in load shape instead of -u and -r: stages:30s:100,2m:100,30s:0 or steps:... or spike:... (see the README)",
		field: func(c *Config) any { return &c.Shape }},
	{name: "arrival-rate", group: groupShape, metavar: "rate",
		help:  "Open model: start iterations (one task each) at this rate whatever the target's speed, e.g. 200, 200/s, 1200/m, or stages:30s:100,1m:100; -u users are started as the pool",
		field: func(c *Config) any { return &c.ArrivalRate }},
	{name: "arrivals", group: groupShape, metavar: "uniform|poisson",
		help:  "How --arrival-rate spaces iterations: evenly (uniform, the default), or as a Poisson process with the same mean",
		field: func(c *Config) any { return (*poisson)(&c.Poisson) }},
	{name: "max-users", group: groupShape, def: "0",
		help:  "With --arrival-rate: the pool may grow to this many users when every user is busy (0: -u); past it, iterations are dropped and counted",
		field: func(c *Config) any { return &c.MaxUsers }},
	{name: "arrival-quantum", group: groupShape, def: "10ms",
		help:  "With --arrival-rate: iterations due within this window start together, the dispatcher waking once per window (CPU like bombardier's); each is still timed from its own intended start, so up to this much later. 0: each at its own instant, for more CPU",
		field: func(c *Config) any { return &c.ArrivalQuantum }},
	{name: "max-lateness", group: groupShape, def: "10s",
		help:  "With --arrival-rate: an iteration still waiting for a free user this long after its intended start is dropped and counted",
		field: func(c *Config) any { return &c.MaxLateness }},
	{name: "threshold", group: groupShape, metavar: "expr", whole: true,
		help:  "Pass/fail condition, repeatable, e.g. 'p95<300ms', 'GET /cart: p99[1m]<1s', 'fail_ratio<1%;abort'. A broken threshold ends the run with exit code 4",
		field: func(c *Config) any { return &c.Thresholds }},
	{name: "junit", group: groupShape, metavar: "file",
		help:  "Write the thresholds' results as JUnit XML (one test case per threshold)",
		field: func(c *Config) any { return &c.JUnitFile }},

	{name: "tags", short: "T", group: groupTags, metavar: "tag,...",
		help:  "List of tags to include in the test, so only tasks with any matching tags will be executed. Repeat the flag or separate tags with commas",
		field: func(c *Config) any { return &c.Tags }},
	{name: "exclude-tags", short: "E", group: groupTags, metavar: "tag,...",
		help:  "List of tags to exclude from the test, so only tasks with no matching tags will be executed. Repeat the flag or separate tags with commas",
		field: func(c *Config) any { return &c.ExcludeTags }},

	{name: "csv", group: groupStats, metavar: "prefix",
		help:  "Store current request stats to files in CSV format. Setting this option will generate four files: PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv",
		field: func(c *Config) any { return &c.CSVPrefix }},
	{name: "csv-full-history", group: groupStats,
		help:  "Store each stats entry in CSV format to _stats_history.csv file. You must also specify the --csv argument to enable this",
		field: func(c *Config) any { return &c.CSVFullHistory }},
	{name: "json", group: groupStats,
		help:  "Print the final stats as JSON to stdout",
		field: func(c *Config) any { return &c.JSON }},
	{name: "json-file", group: groupStats, metavar: "file",
		help:  "Store the final stats as JSON to the file path specified",
		field: func(c *Config) any { return &c.JSONFile }},
	{name: "html", group: groupStats, metavar: "file",
		help:  "Store HTML report to file path specified",
		field: func(c *Config) any { return &c.HTMLFile }},
	{name: "print-stats", group: groupStats,
		help:  "Print stats in the console",
		field: func(c *Config) any { return &c.PrintStats }},
	{name: "only-summary", group: groupStats,
		help:  "Only print the summary stats",
		field: func(c *Config) any { return &c.OnlySummary }},
	{name: "max-names", group: groupStats, def: "20000",
		help:  "Distinct request names (type and name) kept per run; past it, new names share one overflow row and a warning says so. 0: no limit",
		field: func(c *Config) any { return &c.MaxNames }},
	{name: "metrics-port", group: groupStats, metavar: "port", def: "-1",
		help:  "Serve Prometheus metrics at /metrics on this port of --web-host (with --web-auth and TLS), also headless; 0 picks a free port, -1 serves none. The web UI serves /metrics on its own port too",
		field: func(c *Config) any { return &c.MetricsPort }},
	{name: "otlp-endpoint", group: groupStats, metavar: "url",
		help:  "Push the same metrics over OTLP/HTTP (protobuf) to this OpenTelemetry collector, e.g. http://localhost:4318 (a URL without a path gets /v1/metrics); OTEL_EXPORTER_OTLP_ENDPOINT sets it too, and the other OTEL_EXPORTER_OTLP_* variables apply. Pushes every 10s unless OTEL_METRIC_EXPORT_INTERVAL (ms) says otherwise",
		field: func(c *Config) any { return &c.OTLPEndpoint }, tidy: tidyOTLPEndpoint,
		standardEnv: []standardVar{{name: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
			{name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: otlpSignalURL}}},
	{name: "jsonl", group: groupStats, metavar: "file",
		help:  "Stream the per-second history to this file as JSON lines, one per endpoint and one for the total each second, flushed as the run goes",
		field: func(c *Config) any { return &c.JSONLFile }},
	{name: "reset-stats", group: groupStats,
		help:  "Reset statistics once spawning has been completed",
		field: func(c *Config) any { return &c.ResetStats }},

	{name: "loglevel", short: "L", group: groupLog, def: "INFO",
		help:  "Choose between DEBUG/INFO/WARNING/ERROR/CRITICAL (case-insensitive)",
		field: func(c *Config) any { return &c.LogLevel }},
	{name: "logfile", group: groupLog, metavar: "file",
		help:  "Path to log file. If not set, log will go to stderr",
		field: func(c *Config) any { return &c.LogFile }},

	{name: "show-task-ratio", group: groupOther,
		help:  "Print table of the User classes' task execution ratio",
		field: func(c *Config) any { return &c.ShowTaskRatio }},
	{name: "exit-code-on-error", group: groupOther, def: "1",
		help:  "Sets the process exit code (0-255) to use when a test result contain any failure or error",
		field: func(c *Config) any { return &c.ExitCodeOnError }},
	{name: "stop-timeout", short: "s", group: groupOther,
		help: "Time to wait for a simulated user to complete any executing task before exiting, e.g. 30s or a number of seconds.", noDefault: "Default is to terminate immediately",
		field: func(c *Config) any { return &c.StopTimeout }},
	{name: "request-timeout", group: groupOther, def: "60s",
		help:  "Timeout for each HTTP request, e.g. 10s or a number of seconds; must be greater than 0",
		field: func(c *Config) any { return &c.RequestTimeout }},
	{name: "memory-limit", group: groupOther, metavar: "auto|off|size",
		help:      "Soft memory limit of this process's Go heap, to keep its headroom small with many idle users: auto follows the live heap (plus a quarter and 32MiB, at most 90% of the machine's or cgroup's memory), off leaves it to GOGC, or a size such as 2GiB. A GOMEMLIMIT in the environment wins",
		noDefault: "(default auto)",
		field:     func(c *Config) any { return &c.MemoryLimit }},

	{name: "user-classes", group: groupUsers, positional: true,
		help:  "Optionally specify which User classes that should be used (available User classes can be listed with -l or --list). All are used when none are given",
		field: func(c *Config) any { return &c.UserClasses }},
}

func (o *option) isBool() bool {
	_, ok := o.field(&Config{}).(*bool)
	return ok
}

func (o *option) isList() bool {
	switch o.field(&Config{}).(type) {
	case *[]string, *[]threshold.Threshold:
		return true
	}
	return false
}

// typeName is the type reported by the pflag.Value of the option.
func (o *option) typeName() string {
	switch o.field(&Config{}).(type) {
	case *int:
		return "int"
	case *float64:
		return "float"
	case *bool:
		return "bool"
	case *time.Duration:
		return "duration"
	case *slog.Level:
		return "level"
	case *[]string:
		return "strings"
	default:
		return "string"
	}
}

// label names the option in messages: "--users", or "user-classes" for the
// positional arguments.
func (o *option) label() string {
	if o.positional {
		return o.name
	}
	return "--" + o.name
}

// poisson is Config.Poisson as --arrivals sets it: "uniform" (false) or
// "poisson" (true).
type poisson bool

// assign converts the raw values of one layer and stores them in c. On
// error c is left unchanged; a list may have several bad values.
func (o *option) assign(c *Config, vals []string) []error {
	switch p := o.field(c).(type) {
	case *[]string:
		if o.whole {
			*p = wholeList(vals)
		} else {
			*p = splitList(vals)
		}
		return nil
	case *[]threshold.Threshold:
		var ts []threshold.Threshold
		var errs []error
		for _, expr := range wholeList(vals) {
			t, err := threshold.Parse(expr)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ts = append(ts, t)
		}
		if errs == nil {
			*p = ts
		}
		return errs
	}
	if len(vals) != 1 {
		return []error{fmt.Errorf("takes a single value, got a list of %d", len(vals))}
	}
	if err := o.assignOne(c, vals[0]); err != nil {
		return []error{err}
	}
	return nil
}

// assignOne converts a single value and stores it in c, or leaves c
// unchanged.
func (o *option) assignOne(c *Config, s string) error {
	return assignValue(o.field(c), o.tidy, s)
}

// assignValue converts s and stores it in *p, or leaves *p unchanged. tidy,
// if not nil, normalizes a string.
func assignValue(field any, tidy func(string) string, s string) error {
	var err error
	switch p := field.(type) {
	case *string:
		if tidy != nil {
			s = tidy(s)
		}
		*p = s
	case *int:
		*p, err = keep(*p, parseInt, s)
	case *float64:
		*p, err = keep(*p, parseFloat, s)
	case *bool:
		*p, err = keep(*p, parseBool, s)
	case *time.Duration:
		*p, err = keep(*p, duration.Parse, s)
	case *slog.Level:
		*p, err = keep(*p, parseLevel, s)
	case **shape.Shape:
		*p, err = keep(*p, optional(shape.Parse), s)
	case **shape.Rate:
		*p, err = keep(*p, optional(shape.ParseRate), s)
	case *poisson:
		*p, err = keep(*p, parseArrivals, s)
	default:
		err = errors.New("internal error: unsupported option type")
	}
	return err
}

// keep returns parse(s), or old and the error.
func keep[T any](old T, parse func(string) (T, error), s string) (T, error) {
	v, err := parse(s)
	if err != nil {
		return old, err
	}
	return v, nil
}

// optional turns a spec parser into one that reads blank as none (nil), so
// that a higher layer can switch off a lower layer's spec.
func optional[T any](parse func(string) (T, error)) func(string) (*T, error) {
	return func(s string) (*T, error) {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		v, err := parse(s)
		if err != nil {
			return nil, err
		}
		return &v, nil
	}
}

// parseArrivals reads --arrivals: uniform (or blank) or poisson, in any
// letter case.
func parseArrivals(s string) (poisson, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "uniform":
		return false, nil
	case "poisson":
		return true, nil
	}
	return false, fmt.Errorf("must be uniform or poisson, got %q", s)
}

// tidyHost trims surrounding space and trailing slashes from a host URL.
func tidyHost(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "/")
}

// tidyBasePath makes a base path "/x/y" (leading slash, no trailing one), or
// "" for the root.
func tidyBasePath(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "/")
	if s == "" {
		return ""
	}
	return "/" + s
}

// tidyOTLPEndpoint adds OTLP/HTTP's metrics path, /v1/metrics, to a URL
// without a path; a URL with one is used as it is.
func tidyOTLPEndpoint(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return s
	}
	u.Path = "/v1/metrics"
	return u.String()
}

// otlpSignalURL is the metrics URL of an OTEL_EXPORTER_OTLP_ENDPOINT, a
// base URL to which OpenTelemetry's convention always adds v1/metrics.
func otlpSignalURL(base string) string {
	base = strings.TrimSpace(base)
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return base // invalid: reported as it was given
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/metrics"
	return u.String()
}

// tidyWebHost maps Locust's "*" (all interfaces) to "".
func tidyWebHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "*" {
		return ""
	}
	return s
}
