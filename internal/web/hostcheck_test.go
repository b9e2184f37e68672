package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostRequest sends method path to ts with the Host header host (the
// connection still goes to 127.0.0.1) and the given headers. The body of
// an event stream is not read (it would not end).
func hostRequest(t *testing.T, ts *httptest.Server, method, path, host string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, ""
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestDNSRebindingRefused: a request shaped as DNS rebinding makes it
// (Host and Origin of the attacker's name, Sec-Fetch-Site same-origin, as
// a rebound page's own request is) gets 421 with a message saying what to
// do, and reaches no route; reading is refused as well as starting a test.
func TestDNSRebindingRefused(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{Addr: "127.0.0.1:8089", AllowedHosts: []string{"loadgen.internal"}}, fake)
	rebound := http.Header{
		"Origin":         {"http://evil.example:8089"},
		"Sec-Fetch-Site": {"same-origin"},
		"Content-Type":   {"application/x-www-form-urlencoded"},
	}
	for _, rt := range []struct{ method, path string }{
		{"POST", "/swarm"}, {"POST", "/stop"}, {"GET", "/stop"}, {"GET", "/stats/requests"}, {"GET", "/"}, {"GET", "/api/events"},
	} {
		resp, body := hostRequest(t, ts, rt.method, rt.path, "evil.example:8089", rebound, "user_count=5&spawn_rate=1")
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("%s %s with Host evil.example: %d, want 421", rt.method, rt.path, resp.StatusCode)
		}
		for _, want := range []string{`"evil.example"`, "DNS rebinding", "--web-host-allow evil.example"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s %s: the refusal %q does not say %q", rt.method, rt.path, body, want)
			}
		}
		if ct := resp.Header.Get("Content-Type"); ct != contentText {
			t.Errorf("refusal Content-Type %q", ct)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("the refusal lacks the security headers: %v", resp.Header)
		}
	}
	if swarms, stops, resets := fake.calls(); swarms+stops+resets != 0 {
		t.Errorf("a rebound request reached the controller: %d swarms, %d stops, %d resets", swarms, stops, resets)
	}
	// A huge Host is not echoed whole.
	resp, body := hostRequest(t, ts, "GET", "/", strings.Repeat("a", 5000)+".example", nil, "")
	if resp.StatusCode != http.StatusMisdirectedRequest || len(body) > 600 {
		t.Errorf("a 5,000-character Host: %d, %d bytes of answer", resp.StatusCode, len(body))
	}
}

// TestHostAllowlist: which Host headers the server answers, by option.
func TestHostAllowlist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  Options
		hosts map[string]bool // Host header → answered
	}{
		{"loopback bind", Options{Addr: "127.0.0.1:8089"}, map[string]bool{
			"localhost": true, "localhost:8089": true, "LocalHost.:8089": true,
			"127.0.0.1": true, "127.0.0.1:8089": true, "127.5.6.7:1": true, "[::1]:8089": true, "[::1]": true,
			// Any IP literal: the request was sent to that address.
			"10.0.0.5:8089": true, "192.168.1.20": true, "[fe80::1]:8089": true, "[2001:db8::5]": true,
			"evil.example": false, "evil.example:8089": false, "evil.example.": false,
			"sub.localhost": false, "localhost.evil.example": false, "127.0.0.1.evil.example": false,
			"127.1": false, "0x7f000001": false, "herd": false,
		}},
		{"every interface", Options{Addr: ":8089"}, map[string]bool{
			"10.0.0.5:8089": true, "localhost:8089": true, "[::1]:8089": true, "loadgen:8089": false,
		}},
		{"bind to a name", Options{Addr: "LoadGen.internal:8089"}, map[string]bool{
			"loadgen.internal:8089": true, "loadgen.internal": true, "LOADGEN.INTERNAL.": true,
			"other.internal": false, "internal": false, "loadgen": false,
		}},
		{"allowed names", Options{Addr: "0.0.0.0:0", AllowedHosts: []string{"herd.example.com", "ci-runner:8089", "Box."}}, map[string]bool{
			"herd.example.com": true, "herd.example.com:443": true, "ci-runner": true, "ci-runner:9999": true, "box": true,
			"example.com": false, "x.herd.example.com": false, "evil.example": false,
		}},
		{"any name", Options{Addr: "127.0.0.1:0", AllowedHosts: []string{"herd.example.com", "*"}}, map[string]bool{
			"evil.example": true, "herd.example.com": true, "10.0.0.5": true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ts := newTestServer(t, tt.opts, newFake())
			for host, ok := range tt.hosts {
				resp, body := hostRequest(t, ts, "GET", "/api/state", host, nil, "")
				if got := resp.StatusCode == http.StatusOK; got != ok {
					t.Errorf("Host %q: %d, want answered %v\n%s", host, resp.StatusCode, ok, body)
				}
			}
		})
	}
}

// TestHostCheckOffWithAuth: with --web-auth any name is answered (a
// rebound page never has the password: it gets 401, not 421).
func TestHostCheckOffWithAuth(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{Addr: "127.0.0.1:8089", Auth: "admin:s3cret"}, newFake())
	auth := http.Header{"Authorization": {basic("admin", "s3cret")}}
	if resp, body := hostRequest(t, ts, "GET", "/api/state", "herd.behind-a-proxy.example", auth, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("with auth, Host herd.behind-a-proxy.example: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := hostRequest(t, ts, "POST", "/swarm", "evil.example", http.Header{"Sec-Fetch-Site": {"same-origin"}}, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with auth, a rebound request without the password: %d, want 401", resp.StatusCode)
	}
}

// TestHostCheckWithoutHost: an HTTP/1.0 request without a Host (no browser
// sends one) is answered.
func TestHostCheckWithoutHost(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{Addr: "127.0.0.1:8089"}, newFake())
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /api/state HTTP/1.0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP/1.0 without Host: %d", resp.StatusCode)
	}
}

func TestHostOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Evil.Example.:8089": "evil.example",
		"localhost":          "localhost",
		"[::1]:80":           "::1",
		"[::1]":              "::1",
		"::1":                "::1",
		"10.0.0.5:8089":      "10.0.0.5",
		"":                   "",
		"*":                  "*",
	} {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}
