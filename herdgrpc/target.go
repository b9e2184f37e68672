package herdgrpc

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// endpoint is where a connection goes and how it is secured.
type endpoint struct {
	target string // for grpc.NewClient
	tls    bool
}

// parseTarget reads a user's host or a Target option:
//
//	grpc://host:port             plaintext (the port is required)
//	grpcs://host[:port]          TLS, port 443 by default
//	http://…, https://…          as grpc:// (port 80) and grpcs:// (port 443)
//	host:port                    plaintext, or TLS with the TLS option
//	dns:///…, unix:///…, …       given to grpc.NewClient as it is, plaintext or TLS as above
//
// withTLS says whether the TLS option was given.
func parseTarget(s string, withTLS bool) (endpoint, error) {
	if s == "" {
		return endpoint{}, fmt.Errorf("herdgrpc: no target: give -H grpc://host:port, the user type's Host, or the Target option")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return endpoint{}, fmt.Errorf("herdgrpc: target %q is neither a URL nor host:port", s)
		}
		return endpoint{target: s, tls: withTLS}, nil
	}
	var secure bool
	var port string
	switch strings.ToLower(scheme) {
	case "grpc":
		if withTLS {
			return endpoint{}, fmt.Errorf("herdgrpc: target %q is plaintext (grpc://) but the TLS option was given: use grpcs://", s)
		}
	case "http":
		if withTLS {
			return endpoint{}, fmt.Errorf("herdgrpc: target %q is plaintext (http://) but the TLS option was given: use grpcs://", s)
		}
		port = "80"
	case "grpcs", "https":
		secure, port = true, "443"
	default:
		return endpoint{target: s, tls: withTLS}, nil // a resolver's scheme: grpc.NewClient reads it
	}
	u, err := url.Parse(strings.ToLower(scheme) + "://" + rest)
	switch {
	case err != nil:
		return endpoint{}, fmt.Errorf("herdgrpc: target %q: %w", s, err)
	case u.Host == "" || u.Hostname() == "":
		return endpoint{}, fmt.Errorf("herdgrpc: target %q has no host", s)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return endpoint{}, fmt.Errorf("herdgrpc: target %q has more than a host and a port", s)
	}
	host := u.Host
	if u.Port() == "" {
		if port == "" {
			return endpoint{}, fmt.Errorf("herdgrpc: target %q has no port", s)
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	return endpoint{target: host, tls: secure}, nil
}

// credentials are the endpoint's: TLS with cfg (nil: the system's roots),
// or none.
func (e endpoint) credentials(cfg *tls.Config) credentials.TransportCredentials {
	if !e.tls {
		return insecure.NewCredentials()
	}
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return credentials.NewTLS(cfg)
}
