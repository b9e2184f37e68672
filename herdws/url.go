package herdws

import (
	"fmt"
	"strings"
)

// wsURL resolves target against the user's host: an absolute ws://, wss://,
// http:// or https:// URL is used as it is (http becomes ws, https wss), a
// relative one is appended to host (whose path, if any, stays in front).
func wsURL(host, target string) (string, error) {
	if scheme, rest, ok := strings.Cut(target, "://"); ok {
		s, err := wsScheme(scheme)
		if err != nil {
			return "", err
		}
		return s + "://" + rest, nil
	}
	if host == "" {
		return "", fmt.Errorf("herdws: %q is relative and the user has no host (-H)", target)
	}
	scheme, rest, ok := strings.Cut(host, "://")
	if !ok {
		return "", fmt.Errorf("herdws: host %q is not an absolute URL", host)
	}
	s, err := wsScheme(scheme)
	if err != nil {
		return "", err
	}
	if target != "" && !strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "?") {
		target = "/" + target
	}
	return s + "://" + strings.TrimRight(rest, "/") + target, nil
}

func wsScheme(s string) (string, error) {
	switch strings.ToLower(s) {
	case "ws", "http":
		return "ws", nil
	case "wss", "https":
		return "wss", nil
	}
	return "", fmt.Errorf("herdws: scheme %q is not ws, wss, http or https", s)
}
