package herd

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// HostFrom returns the host of the user ctx belongs to (a task's context,
// OnStart's, or a request listener's Request.Context): -H/--host, else its
// type's Host, as given: "http://shop:8080", "grpc://inventory:50051",
// "localhost:6379". Users that are not HTTP users read their target here.
// Outside a user it returns "".
func HostFrom(ctx context.Context) string {
	if env := envFrom(ctx); env != nil {
		return env.host
	}
	return ""
}

// isHTTPURL reports whether h is an absolute http:// or https:// URL with
// a host, what HTTP users need.
func isHTTPURL(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// isHostPort reports whether h is "host:port" with a host and a numeric
// port: "localhost:50051", "[::1]:6379".
func isHostPort(h string) bool {
	if strings.Contains(h, "/") {
		return false
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil || host == "" || strings.ContainsAny(host, " \t") {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}
