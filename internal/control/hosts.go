package control

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
)

// hosts resolves each user type's base URL for a test, and owns the
// fallback target (herd's demo shop, say) started for types without one.
type hosts struct {
	fallback func() (url string, stop func() error, err error)
	log      *slog.Logger

	mu   sync.Mutex
	url  string // the fallback target's, once started
	stop func() error
}

// needFallback reports whether some type that needs a host has none of its
// own and a fallback target exists.
func (h *hosts) needFallback(types []Type) bool {
	if h.fallback == nil {
		return false
	}
	for _, t := range types {
		if t.NeedsHost && t.Host == "" {
			return true
		}
	}
	return false
}

// fallbackURL starts the fallback target once and returns its URL.
func (h *hosts) fallbackURL() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.url != "" {
		return h.url, nil
	}
	url, stop, err := h.fallback()
	if err != nil {
		return "", fmt.Errorf("starting the fallback target: %w", err)
	}
	h.url, h.stop = url, stop
	h.log.Info("no host given: testing the fallback target", "host", url)
	return url, nil
}

// started is the fallback target's URL, "" until it is started.
func (h *hosts) started() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.url
}

// close stops the fallback target.
func (h *hosts) close() {
	h.mu.Lock()
	stop := h.stop
	h.stop = nil
	h.mu.Unlock()
	if stop != nil {
		if err := stop(); err != nil {
			h.log.Warn("stopping the fallback target", "err", err)
		}
	}
}

// resolve gives each type its base URL for one test: host (-H or the
// start form) wins, then the type's own Host, then the fallback target.
// missing lists the types that need a host and are left without one. A
// type that needs a host (an HTTP user) and gets one that is not http(s)
// (-H localhost:50051, meant for other users) is an error naming it.
func (h *hosts) resolve(types []Type, host string) (out []Type, missing []string, err error) {
	out = make([]Type, len(types))
	var wrong []string
	var wrongHost string
	for i, t := range types {
		if host != "" {
			t.Host = host
		}
		if t.Host == "" && t.NeedsHost {
			missing = append(missing, t.Name)
		}
		if t.Host != "" && t.NeedsHost && !isHTTPURL(t.Host) {
			wrong, wrongHost = append(wrong, t.Name), t.Host
		}
		out[i] = t
	}
	if len(wrong) > 0 {
		return nil, nil, fmt.Errorf("user type %s sends HTTP: host %q is not an absolute http:// or https:// URL", strings.Join(wrong, ", "), wrongHost)
	}
	if len(missing) == 0 || h.fallback == nil {
		return out, missing, nil
	}
	url, err := h.fallbackURL()
	if err != nil {
		return nil, nil, err
	}
	for i := range out {
		if out[i].Host == "" && out[i].NeedsHost {
			out[i].Host = url
		}
	}
	return out, nil, nil
}

// isHTTPURL reports whether h is an absolute http:// or https:// URL with a
// host.
func isHTTPURL(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
