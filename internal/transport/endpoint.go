package transport

import (
	"fmt"
	"net"
	"strings"
)

// parseEndpoint turns "tcp://host:port" into a TCP address. For a listener
// host "*" means every interface; a dialer needs a concrete host.
func parseEndpoint(endpoint string, listen bool) (string, error) {
	rest, ok := strings.CutPrefix(endpoint, "tcp://")
	if !ok {
		return "", fmt.Errorf("transport: endpoint %q: only tcp://host:port is supported", endpoint)
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", fmt.Errorf("transport: endpoint %q: %w", endpoint, err)
	}
	if host == "*" {
		if !listen {
			return "", fmt.Errorf("transport: endpoint %q: cannot connect to *", endpoint)
		}
		host = ""
	}
	if port == "" || port == "*" {
		port = "0"
	}
	return net.JoinHostPort(host, port), nil
}
