package web

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
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
		{"wildcard", Options{Addr: "127.0.0.1:0", AllowedHosts: []string{"*.Example.com", "*.lab.internal:8089"}}, map[string]bool{
			"a.example.com": true, "A.B.example.com.:8089": true, "x.lab.internal": true,
			"example.com": false, "evilexample.com": false, "example.com.evil": false, "a.example.org": false,
			"lab.internal": false, "xlab.internal": false,
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

// TestHostPolicyValues: which --web-host-allow values are accepted; every
// bad one is reported (and Start fails), the good ones still apply.
func TestHostPolicyValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		ok    bool
	}{
		{"herd.example.com", true},
		{"HERD.example.com.:443", true},
		{"ci_runner-2", true},
		{"10.0.0.5", true},
		{"[::1]:8089", true},
		{"*", true},
		{"*.example.com", true},
		{" *.example.com ", true},
		{"xn--bcher-kva.example", true},
		{"", false},
		{"*example.com", false},
		{"a.*.example.com", false},
		{"*.*.example.com", false},
		{"*.10.0.0.5", false},
		{"herd example", false},
		{"http://herd.example.com", false},
		{"herd.example.com/ui", false},
		{"bücher.example", false},
		{"a..b", false},
		{".example.com", false},
	}
	for _, tt := range tests {
		_, err := newHostPolicy("127.0.0.1:0", []string{tt.value})
		if (err == nil) != tt.ok {
			t.Errorf("%q: err = %v, want ok %v", tt.value, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--web-host-allow") {
			t.Errorf("%q: the error %q does not name the option", tt.value, err)
		}
	}
	p, err := newHostPolicy("127.0.0.1:0", []string{"bad name", "good.example", "*x"})
	if err == nil || strings.Count(err.Error(), "--web-host-allow") != 2 {
		t.Errorf("two bad values: %v", err)
	}
	if !p.allows("good.example") {
		t.Error("the good value of a list with bad ones is not allowed")
	}

	s := New(Options{Addr: "127.0.0.1:0", AllowedHosts: []string{"herd example"}}, newFake())
	defer s.Close(t.Context())
	if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), `"herd example"`) {
		t.Errorf("Start with a bad --web-host-allow: %v", err)
	}
}

// TestRefusalsLogged: refused requests are logged once per 10 s, the next
// line counting those not logged, and Close logs the rest; allowed
// requests log nothing.
func TestRefusalsLogged(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
		s := New(Options{Addr: "127.0.0.1:8089", Logger: log}, newFake())
		send := func(host string, n int) {
			for range n {
				req := httptest.NewRequest("POST", "/swarm", nil)
				req.Host = host
				req.RemoteAddr = "127.0.0.1:5555"
				s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			}
		}
		lines := func() []string {
			return strings.Split(strings.TrimSpace(buf.String()), "\n")
		}
		send("evil.example:8089", 500)
		send("localhost:8089", 10)
		if got := lines(); len(got) != 1 || !strings.Contains(got[0], "host=evil.example") ||
			!strings.Contains(got[0], "path=/swarm") || strings.Contains(got[0], "not_logged") {
			t.Fatalf("after 500 refusals in an instant: %q", got)
		}
		time.Sleep(refusalLogEvery - time.Second)
		send("evil.example", 1)
		if got := lines(); len(got) != 1 {
			t.Fatalf("within the period: %q", got)
		}
		time.Sleep(time.Second)
		send("other.example", 1)
		if got := lines(); len(got) != 2 || !strings.Contains(got[1], "host=other.example") || !strings.Contains(got[1], "not_logged=500") {
			t.Fatalf("after the period: %q", got)
		}
		send("evil.example", 3)
		s.Close(t.Context())
		if got := lines(); len(got) != 3 || !strings.Contains(got[2], "not_logged=3") {
			t.Fatalf("after Close: %q", got)
		}
	})
}

// TestHSTS: Strict-Transport-Security only over TLS, and not for
// localhost or an IP address (browsers ignore it for addresses; on
// localhost it would hold for every port of the machine).
func TestHSTS(t *testing.T) {
	t.Parallel()
	s := New(Options{Addr: "127.0.0.1:0", AllowedHosts: []string{"*"}}, newFake())
	defer s.Close(t.Context())
	tests := []struct {
		tls  bool
		host string
		want string
	}{
		{true, "herd.example.com", hstsValue},
		{true, "herd.example.com:8443", hstsValue},
		{true, "loadgen", hstsValue},
		{true, "localhost:8089", ""},
		{true, "127.0.0.1:8089", ""},
		{true, "[::1]:8089", ""},
		{true, "10.0.0.5", ""},
		{false, "herd.example.com", ""},
		{false, "localhost", ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/api/state", nil)
		req.Host = tt.host
		if !tt.tls {
			req.TLS = nil
		} else if req.TLS == nil {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if got := rec.Header().Get("Strict-Transport-Security"); got != tt.want || rec.Code != http.StatusOK {
			t.Errorf("TLS %v, Host %q: %d, HSTS %q, want %q", tt.tls, tt.host, rec.Code, got, tt.want)
		}
	}
}

// TestHSTSOverTLS: a real TLS server sends HSTS to a name, and a refused
// Host gets it too (a header of every answer).
func TestHSTSOverTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	s := New(Options{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, AllowedHosts: []string{"herd.test"}, Assets: testAssets()}, newFake())
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
	defer client.CloseIdleConnections()
	for host, want := range map[string]struct {
		status int
		hsts   string
	}{
		"herd.test":      {http.StatusOK, hstsValue},
		"evil.example":   {http.StatusMisdirectedRequest, hstsValue},
		"127.0.0.1:8443": {http.StatusOK, ""},
	} {
		req, _ := http.NewRequest("GET", url+"api/state", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want.status || resp.Header.Get("Strict-Transport-Security") != want.hsts {
			t.Errorf("Host %q over TLS: %d, HSTS %q; want %d, %q", host, resp.StatusCode, resp.Header.Get("Strict-Transport-Security"), want.status, want.hsts)
		}
	}
}
