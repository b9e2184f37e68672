package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/herdload/herd/internal/duration"
	"github.com/herdload/herd/internal/memlimit"
)

// Validate checks the rules of a Config that need no file system: each
// option's value on its own, then the rules about several options. It
// reports every broken rule at once as [Problems] (with empty Source;
// [Load] fills it in), or nil. It does not modify c. [Load] also checks
// that the files the run will write can be written.
func (c *Config) Validate() error {
	var ps Problems
	for _, o := range options {
		if msg := c.checkField(o.name); msg != "" {
			ps = append(ps, Problem{Field: o.name, Message: msg})
		}
	}
	ps = append(ps, c.checkCombinations()...)
	if len(ps) > 0 {
		slices.SortStableFunc(ps, func(a, b Problem) int { return optionIndex(a.Field) - optionIndex(b.Field) })
		return ps
	}
	return nil
}

// checkField returns what is wrong with the value of the option named name
// on its own, whichever layer set it, or "".
func (c *Config) checkField(name string) string {
	switch name {
	case "host":
		return checkHost(c.Host)
	case "users":
		if c.Users < 0 {
			return fmt.Sprintf("must not be negative, got %d", c.Users)
		}
	case "spawn-rate":
		if !(c.SpawnRate > 0) || math.IsInf(c.SpawnRate, 0) {
			return fmt.Sprintf("must be a number of users per second greater than 0, got %v", c.SpawnRate)
		}
	case "run-time":
		if c.RunTime < 0 {
			return fmt.Sprintf("must not be negative, got %s (use 0 to run until stopped)", duration.Format(c.RunTime))
		}
	case "web-port":
		if c.WebPort < 0 || c.WebPort > 65535 {
			return fmt.Sprintf("must be a port number between 0 and 65535 (0 picks a free one), got %d", c.WebPort)
		}
	case "web-auth":
		if c.WebAuth != "" {
			if user, _, ok := strings.Cut(c.WebAuth, ":"); !ok || user == "" {
				return "must be user:password"
			}
		}
	case "max-names":
		if c.MaxNames < 0 {
			return fmt.Sprintf("must not be negative, got %d (0: no limit)", c.MaxNames)
		}
	case "autoquit":
		if c.Autoquit < -1 {
			return fmt.Sprintf("must be a number of seconds, or -1 to disable, got %d", c.Autoquit)
		}
	case "arrival-quantum":
		if c.ArrivalQuantum < 0 || c.ArrivalQuantum > 1e9 {
			return fmt.Sprintf("must be a duration from 0 to 1s, got %s", duration.Format(c.ArrivalQuantum))
		}
	case "max-lateness":
		if c.MaxLateness <= 0 {
			return fmt.Sprintf("must be a duration greater than 0, got %s", duration.Format(c.MaxLateness))
		}
	case "max-users":
		if c.MaxUsers < 0 {
			return fmt.Sprintf("must not be negative, got %d", c.MaxUsers)
		}
	case "processes":
		if c.Processes < -1 {
			return fmt.Sprintf("must be a number of worker processes, or -1 for one per core, got %d", c.Processes)
		}
	case "memory-limit":
		if _, err := memlimit.Parse(c.MemoryLimit); err != nil {
			return err.Error()
		}
	case "metrics-port":
		if c.MetricsPort < -1 || c.MetricsPort > 65535 {
			return fmt.Sprintf("must be a port number between 0 and 65535 (0 picks a free one), or -1 for none, got %d", c.MetricsPort)
		}
	case "otlp-endpoint":
		if c.OTLPEndpoint != "" {
			return checkOTLPEndpoint(c.OTLPEndpoint)
		}
	case "master-bind-port":
		return checkPort(c.MasterBindPort)
	case "master-port":
		return checkPort(c.MasterPort)
	case "expect-workers":
		if c.ExpectWorkers < 1 {
			return fmt.Sprintf("must be at least 1, got %d", c.ExpectWorkers)
		}
	case "expect-workers-max-wait":
		if c.ExpectWorkersMaxWait < 0 {
			return fmt.Sprintf("must be a number of seconds (0 waits forever), got %d", c.ExpectWorkersMaxWait)
		}
	case "exit-code-on-error":
		if c.ExitCodeOnError < 0 || c.ExitCodeOnError > 255 {
			return fmt.Sprintf("must be between 0 and 255, got %d", c.ExitCodeOnError)
		}
	case "stop-timeout":
		if c.StopTimeout < 0 {
			return fmt.Sprintf("must not be negative, got %s", duration.Format(c.StopTimeout))
		}
	case "request-timeout":
		if c.RequestTimeout <= 0 {
			return fmt.Sprintf("must be greater than 0, got %s", duration.Format(c.RequestTimeout))
		}
	}
	return ""
}

// checkPort returns what is wrong with a master's port, or "".
func checkPort(port int) string {
	if port < 0 || port > 65535 {
		return fmt.Sprintf("must be a port number between 0 and 65535, got %d", port)
	}
	return ""
}

// checkCombinations reports the rules about several options, in no
// particular order (with empty Source).
func (c *Config) checkCombinations() Problems {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		add("tls-cert", "--tls-cert and --tls-key go together")
	}
	if c.Autoquit > -1 && !c.Autostart {
		add("autoquit", "is only meaningful together with --autostart")
	}
	if c.Shape != nil && c.ArrivalRate != nil {
		add("shape", "drives a user count, --arrival-rate an iteration rate: use one of them")
	}
	if c.MaxUsers > 0 && c.ArrivalRate == nil {
		add("max-users", "is only meaningful together with --arrival-rate")
	} else if c.MaxUsers > 0 && c.MaxUsers < c.Users {
		add("max-users", "must be at least -u (%d), the pool started up front, got %d", c.Users, c.MaxUsers)
	}
	if c.Master && c.Worker {
		add("worker", "a process is either --master or --worker, not both")
	}
	if c.Processes >= -1 && c.Processes != 0 && c.Worker {
		add("processes", "starts a master with its workers: it cannot be combined with --worker")
	}
	if c.Worker && c.MasterHost == "" {
		add("master-host", "must name the master's host")
	}
	if c.CSVFullHistory && c.CSVPrefix == "" {
		add("csv-full-history", "requires --csv PREFIX")
	}
	return ps
}

// checkOTLPEndpoint returns what is wrong with an OTLP/HTTP endpoint, or
// "": an absolute http(s) URL (gRPC's grpc:// or a bare host:port is
// refused: herd pushes over OTLP/HTTP only).
func checkOTLPEndpoint(e string) string {
	const want = "use an absolute http:// or https:// URL such as http://localhost:4318"
	u, err := url.Parse(e)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a valid URL; %s", e, want)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q does not start with http:// or https:// (OTLP over gRPC is not supported); %s", e, want)
	case u.Host == "":
		return fmt.Sprintf("%q has no host name; %s", e, want)
	}
	return ""
}

// checkHost returns what is wrong with a --host value, or "" when it is empty
// or a valid target (see CheckHost).
func checkHost(h string) string {
	if h == "" {
		return ""
	}
	return CheckHost(h)
}

// CheckHost returns what is wrong with a target, or "" when it is an
// absolute URL with a host name (http:// or https:// for HTTP users, any
// scheme for others: grpc://inventory:50051) or host:port
// (localhost:50051). Whether a user type accepts it is the test's
// business: HTTP users refuse what is not http(s) when a test starts.
func CheckHost(h string) string {
	const want = "use an absolute http:// or https:// URL such as http://10.21.32.33 or https://example.com " +
		"(for users that are not HTTP users, any URL such as grpc://10.21.32.33:50051, or host:port)"
	if !strings.Contains(h, "://") {
		if hostPort(h) {
			return ""
		}
		return fmt.Sprintf("%q is neither a URL nor host:port; %s", h, want)
	}
	u, err := url.Parse(h)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL; %s", h, want)
	}
	if u.Opaque != "" || u.Host == "" {
		return fmt.Sprintf("%q has no host name; %s", h, want)
	}
	return ""
}

// hostPort reports whether h is host:port with a host and a port number.
func hostPort(h string) bool {
	host, port, err := net.SplitHostPort(h)
	if err != nil || host == "" || strings.ContainsAny(host, "/ \t") {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}
