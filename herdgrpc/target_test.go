package herdgrpc

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in      string
		withTLS bool
		target  string
		tls     bool
		err     string
	}{
		{"grpc://127.0.0.1:50051", false, "127.0.0.1:50051", false, ""},
		{"GRPC://inventory:50051/", false, "inventory:50051", false, ""},
		{"grpcs://api.example.com", false, "api.example.com:443", true, ""},
		{"grpcs://api.example.com:8443", true, "api.example.com:8443", true, ""},
		{"https://api.example.com", false, "api.example.com:443", true, ""},
		{"http://localhost", false, "localhost:80", false, ""},
		{"grpcs://[::1]", false, "[::1]:443", true, ""},
		{"localhost:50051", false, "localhost:50051", false, ""},
		{"localhost:50051", true, "localhost:50051", true, ""},
		{"[::1]:50051", false, "[::1]:50051", false, ""},
		{"dns:///inventory:50051", false, "dns:///inventory:50051", false, ""},
		{"unix:///tmp/grpc.sock", true, "unix:///tmp/grpc.sock", true, ""},
		{"", false, "", false, "no target"},
		{"localhost", false, "", false, "neither a URL nor host:port"},
		{"grpc://inventory", false, "", false, "no port"},
		{"grpc://:50051", false, "", false, "no host"},
		{"grpc://inventory:50051/v1", false, "", false, "more than a host"},
		{"grpc://user@inventory:50051", false, "", false, "more than a host"},
		{"grpcs://inventory:50051?x=1", false, "", false, "more than a host"},
		{"grpc://inventory:50051", true, "", false, "use grpcs://"},
		{"http://inventory:80", true, "", false, "use grpcs://"},
		{"grpc://inv entory:1", false, "", false, "target"},
	} {
		e, err := parseTarget(c.in, c.withTLS)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("parseTarget(%q, %v): %v, want an error with %q", c.in, c.withTLS, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("parseTarget(%q, %v): %v", c.in, c.withTLS, err)
		case c.err == "" && (e.target != c.target || e.tls != c.tls):
			t.Errorf("parseTarget(%q, %v) = %q, TLS %v; want %q, %v", c.in, c.withTLS, e.target, e.tls, c.target, c.tls)
		}
	}
}

// FuzzParseTarget: any input gives an endpoint or an error, never a panic,
// and a grpc:// or grpcs:// URL becomes a host:port.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"grpc://127.0.0.1:50051", "grpcs://h", "h:1", "dns:///h:1", "grpc://[::1]:0", "https://h/x", ""} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, withTLS bool) {
		e, err := parseTarget(s, withTLS)
		if err != nil {
			return
		}
		if e.target == "" {
			t.Fatalf("parseTarget(%q): empty target without an error", s)
		}
		scheme, _, _ := strings.Cut(strings.ToLower(s), "://")
		switch scheme {
		case "grpc", "grpcs", "http", "https":
			if strings.Contains(e.target, "/") {
				t.Fatalf("parseTarget(%q) = %q: not a host:port", s, e.target)
			}
		}
	})
}
