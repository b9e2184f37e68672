package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// DNS rebinding: a page on evil.example whose name the attacker then points
// at 127.0.0.1 (or at the machine's LAN address) is same-origin with
// itself, so the browser lets its scripts call the web UI with
// "Host: evil.example" and Sec-Fetch-Site: same-origin, which no CSRF check
// can tell from the UI's own requests. Only the Host header gives it away:
// without --web-auth the server answers only the names it knows it has.
//
// Which Host values pass:
//   - localhost (resolved by the machine itself, never by an attacker's DNS);
//   - any IP literal: rebinding needs a name the attacker controls, and a
//     request whose Host is an address was sent to that address, so
//     http://10.0.0.5:8089 keeps working from another machine whatever
//     --web-host is, with no need to list the machine's interfaces;
//   - the bind address when it is a name (--web-host loadgen.internal);
//   - the names of Options.AllowedHosts (--web-host-allow): a name, or
//     "*.example.com" for every name under example.com (not example.com
//     itself); "*" turns the check off;
//   - no Host at all (HTTP/1.0 clients): a browser always sends one.
//
// With Options.Auth the check is off: a rebound page is a new origin the
// user never gave the password to, so its requests get 401 anyway, and a
// reverse proxy in front of an authenticated UI keeps working without
// --web-host-allow.

// hostPolicy is the set of Host names the server answers to without auth.
type hostPolicy struct {
	any      bool                // "*" was allowed: no check
	names    map[string]struct{} // normalised by hostOf
	suffixes []string            // ".example.com" for "*.example.com"
}

// newHostPolicy allows localhost, IP literals, bindAddr's host when it is a
// name, and allow. It returns every value of allow that is neither a host
// name, an IP address, "*.name" nor "*", joined in one error; the others
// still make the policy.
func newHostPolicy(bindAddr string, allow []string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]struct{}{}}
	if host, _, err := net.SplitHostPort(bindAddr); err == nil {
		if h := hostOf(host); validHost(h) {
			p.names[h] = struct{}{}
		}
	}
	var errs []error
	for _, a := range allow {
		h := hostOf(strings.TrimSpace(a))
		if !numericPort(strings.TrimSpace(a)) {
			h = "" // "http://x" splits into host "http" and port "//x"
		}
		switch {
		case h == "*":
			p.any = true
		case strings.HasPrefix(h, "*.") && validHost(h[2:]) && !isIPLiteral(h[2:]):
			p.suffixes = append(p.suffixes, h[1:])
		case validHost(h):
			p.names[h] = struct{}{}
		default:
			errs = append(errs, fmt.Errorf("--web-host-allow %q: not a host name, an IP address, *.domain or *", a))
		}
	}
	return p, errors.Join(errs...)
}

// allows reports whether a request with this Host header may be answered.
func (p hostPolicy) allows(hostHeader string) bool {
	if p.any || hostHeader == "" {
		return true
	}
	host := hostOf(hostHeader)
	if isLocalhost(host) || isIPLiteral(host) {
		return true
	}
	if _, ok := p.names[host]; ok {
		return true
	}
	for _, s := range p.suffixes {
		if len(host) > len(s) && strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// hostOf is the host of a Host header or a host name, without port,
// brackets or trailing dot, in lower case: "Evil.Example.:8089" →
// "evil.example", "[::1]:80" → "::1".
func hostOf(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// numericPort reports whether hostport has no port or a numeric one.
func numericPort(hostport string) bool {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return true
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// validHost reports whether host (as from hostOf) is an IP address or a
// name a browser could send: ASCII letters, digits, '-', '_' and dots
// between non-empty labels (an international name in its xn-- form).
func validHost(host string) bool {
	if isIPLiteral(host) {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// isLocalhost reports whether host (as from hostOf) is localhost. Names
// under .localhost are not: some resolvers ask DNS for them.
func isLocalhost(host string) bool {
	return host == "localhost"
}

// isIPLiteral reports whether host (as from hostOf) is an IPv4 or IPv6
// address.
func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// maxHostShown bounds the Host echoed in a refusal and its log line.
const maxHostShown = 100

// checkHost answers 421 Misdirected Request to a request whose Host the
// policy does not allow. 421 rather than 403: the request is not forbidden
// to this client, it names a host this server was not configured for
// (RFC 9110, 15.5.20), which is what a rebound name is; it also keeps the
// refusal apart from auth's 401 and the cross-site 403 in logs and tests.
// The plain-text answer says how to reach the UI instead. Refusals are
// logged through log, which bounds its lines: a rebinding page can send
// requests in a loop.
func checkHost(p hostPolicy, log *limitedLog, next http.Handler) http.Handler {
	if p.any {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.allows(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		shown := hostOf(r.Host)
		if len(shown) > maxHostShown {
			shown = strings.ToValidUTF8(shown[:maxHostShown], "") + "…"
		}
		log.log("web UI: refused a request for an unknown host name (DNS rebinding protection; allow it with --web-host-allow)",
			slog.String("host", shown), slog.String("remote", r.RemoteAddr),
			slog.String("method", r.Method), slog.String("path", clipPath(r.URL.Path)))
		writeText(w, http.StatusMisdirectedRequest,
			"421 misdirected request: this herd web UI does not answer to the host name \""+shown+"\" "+
				"(DNS rebinding protection). Open it as localhost or by IP address, "+
				"or start herd with --web-host-allow "+shown+" (or --web-auth).\n")
	})
}

// clipPath bounds a request path in a log line.
func clipPath(p string) string {
	if len(p) <= maxHostShown {
		return p
	}
	return strings.ToValidUTF8(p[:maxHostShown], "") + "…"
}
