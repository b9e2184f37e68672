package config

import (
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/threshold"
)

// Validate checks the semantic rules of a Config and reports every broken
// rule at once as [Problems] (with empty Source; [Load] fills it in), or nil.
// It does not modify c.
func (c *Config) Validate() error {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	if msg := checkHost(c.Host); msg != "" {
		add("host", "%s", msg)
	}
	if c.Users < 0 {
		add("users", "must not be negative, got %d", c.Users)
	}
	if !(c.SpawnRate > 0) || math.IsInf(c.SpawnRate, 0) {
		add("spawn-rate", "must be a number of users per second greater than 0, got %v", c.SpawnRate)
	}
	if c.RunTime < 0 {
		add("run-time", "must not be negative, got %v (use 0 to run until stopped)", c.RunTime)
	}
	if c.WebPort < 0 || c.WebPort > 65535 {
		add("web-port", "must be a port number between 0 and 65535 (0 picks a free one), got %d", c.WebPort)
	}
	if c.WebAuth != "" {
		if user, _, ok := strings.Cut(c.WebAuth, ":"); !ok || user == "" {
			add("web-auth", "must be user:password")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		add("tls-cert", "--tls-cert and --tls-key go together")
	}
	if c.Autoquit < -1 {
		add("autoquit", "must be a number of seconds, or -1 to disable, got %d", c.Autoquit)
	} else if c.Autoquit != -1 && !c.Autostart {
		add("autoquit", "is only meaningful together with --autostart")
	}
	if c.Shape != "" {
		if _, err := shape.Parse(c.Shape); err != nil {
			add("shape", "%v", err)
		}
		if c.ArrivalRate != "" {
			add("shape", "drives a user count, --arrival-rate an iteration rate: use one of them")
		}
	}
	if c.ArrivalRate != "" {
		if _, err := shape.ParseRate(c.ArrivalRate); err != nil {
			add("arrival-rate", "%v", err)
		}
	}
	if c.MaxLateness <= 0 {
		add("max-lateness", "must be a duration greater than 0, got %v", c.MaxLateness)
	}
	for _, expr := range c.Thresholds {
		if _, err := threshold.Parse(expr); err != nil {
			add("threshold", "%v", err)
		}
	}
	switch c.Arrivals {
	case "", "uniform", "poisson":
	default:
		add("arrivals", "must be uniform or poisson, got %q", c.Arrivals)
	}
	if c.MaxUsers < 0 {
		add("max-users", "must not be negative, got %d", c.MaxUsers)
	} else if c.MaxUsers > 0 && c.ArrivalRate == "" {
		add("max-users", "is only meaningful together with --arrival-rate")
	} else if c.MaxUsers > 0 && c.MaxUsers < c.Users {
		add("max-users", "must be at least -u (%d), the pool started up front, got %d", c.Users, c.MaxUsers)
	}
	if c.Master && c.Worker {
		add("worker", "a process is either --master or --worker, not both")
	}
	if c.Processes < -1 {
		add("processes", "must be a number of worker processes, or -1 for one per core, got %d", c.Processes)
	} else if c.Processes != 0 && c.Worker {
		add("processes", "starts a master with its workers: it cannot be combined with --worker")
	}
	for _, p := range []struct {
		name string
		port int
	}{{"master-bind-port", c.MasterBindPort}, {"master-port", c.MasterPort}} {
		if p.port < 0 || p.port > 65535 {
			add(p.name, "must be a port number between 0 and 65535, got %d", p.port)
		}
	}
	if c.ExpectWorkers < 1 {
		add("expect-workers", "must be at least 1, got %d", c.ExpectWorkers)
	}
	if c.ExpectWorkersMaxWait < 0 {
		add("expect-workers-max-wait", "must be a number of seconds (0 waits forever), got %d", c.ExpectWorkersMaxWait)
	}
	if c.Worker && c.MasterHost == "" {
		add("master-host", "must name the master's host")
	}
	if c.CSVFullHistory && c.CSVPrefix == "" {
		add("csv-full-history", "requires --csv PREFIX")
	}
	if c.ExitCodeOnError < 0 || c.ExitCodeOnError > 255 {
		add("exit-code-on-error", "must be between 0 and 255, got %d", c.ExitCodeOnError)
	}
	if c.StopTimeout < 0 {
		add("stop-timeout", "must not be negative, got %v", c.StopTimeout)
	}
	if c.RequestTimeout <= 0 {
		add("request-timeout", "must be greater than 0, got %v", c.RequestTimeout)
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checkHost returns what is wrong with a --host value, or "" when it is empty
// or an absolute http(s) URL with a host name.
func checkHost(h string) string {
	if h == "" {
		return ""
	}
	return CheckHost(h)
}

// CheckHost returns what is wrong with a target URL, or "" when it is an
// absolute http(s) URL with a host name.
func CheckHost(h string) string {
	const want = "use an absolute http:// or https:// URL such as http://10.21.32.33 or https://example.com"
	u, err := url.Parse(h)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL; %s", h, want)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("%q does not start with http:// or https://; %s", h, want)
	}
	if u.Opaque != "" || u.Host == "" {
		return fmt.Sprintf("%q has no host name; %s", h, want)
	}
	return ""
}
