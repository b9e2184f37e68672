package failure

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serveOnce accepts connections on loopback and hands each to fn until the
// test ends.
func serveOnce(t *testing.T, fn func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go fn(c.(*net.TCPConn))
		}
	}()
	return ln.Addr().String()
}

func refusedErr(t *testing.T) error {
	_, err := net.Dial("tcp", closedAddr(t))
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	return err
}

func dialTimeoutErr(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		t.Fatal("dial with an expired deadline succeeded")
	}
	return err
}

func dialerTimeoutErr(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = (&net.Dialer{Timeout: time.Nanosecond}).Dial("tcp", ln.Addr().String())
	if err == nil {
		t.Skip("a 1 ns dial succeeded on this machine")
	}
	return err
}

// readTimeoutErr reads from a connection whose peer never writes.
func readTimeoutErr(t *testing.T) error {
	addr := serveOnce(t, func(c *net.TCPConn) {
		defer c.Close()
		io.Copy(io.Discard, c) // until the client closes
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("read from a silent peer succeeded")
	}
	return err
}

// resetErr reads from a connection the peer aborts with a RST.
func resetErr(t *testing.T) error {
	addr := serveOnce(t, func(c *net.TCPConn) {
		c.Read(make([]byte, 1))
		c.SetLinger(0)
		c.Close()
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(backstop))
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("read after a reset succeeded")
	}
	return err
}

// eofErr reads from a connection the peer closes cleanly.
func eofErr(t *testing.T) error {
	addr := serveOnce(t, func(c *net.TCPConn) { c.Close() })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(backstop))
	_, err = c.Read(make([]byte, 1))
	return err
}

// untrustedTLSErr is what net/http says of a server whose certificate it
// does not trust.
func untrustedTLSErr(t *testing.T) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	defer srv.Close()
	cl := &http.Client{Transport: &http.Transport{}, Timeout: backstop}
	defer cl.CloseIdleConnections()
	resp, err := cl.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("an untrusted certificate was accepted")
	}
	return err
}

// untrustedTLSDialErr is the same from crypto/tls directly.
func untrustedTLSDialErr(t *testing.T) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	defer srv.Close()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: backstop}, "tcp", srv.Listener.Addr().String(), &tls.Config{})
	if err == nil {
		c.Close()
		t.Fatal("an untrusted certificate was accepted")
	}
	return err
}

// wrongHostTLSErr trusts the server's certificate but asks for another name.
func wrongHostTLSErr(t *testing.T) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	defer srv.Close()
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "not-the-server.invalid"
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: backstop}, "tcp", srv.Listener.Addr().String(), cfg)
	if err == nil {
		c.Close()
		t.Fatal("a certificate for another name was accepted")
	}
	return err
}

// remoteAlertErr is the alert a server sends when it wants a client
// certificate and gets none.
func remoteAlertErr(t *testing.T) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = quietLog()
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	cl := srv.Client()
	cl.Timeout = backstop
	defer cl.CloseIdleConnections()
	resp, err := cl.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the server accepted a client without a certificate")
	}
	return err
}

// notTLSErr speaks TLS to a plain HTTP server.
func notTLSErr(t *testing.T) error {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	// The HTTP server answers the ClientHello with a 400: crypto/tls then
	// reads "HTTP/" where a TLS record header should be.
	raw, err := net.DialTimeout("tcp", addr, backstop)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(backstop))
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	err = c.Handshake()
	if err == nil {
		t.Fatal("a TLS handshake with an HTTP server succeeded")
	}
	return err
}

// httpsToHTTPErr is net/http's own text for the same mistake.
func httpsToHTTPErr(t *testing.T) error {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	cl := &http.Client{Transport: &http.Transport{}, Timeout: backstop}
	defer cl.CloseIdleConnections()
	resp, err := cl.Get("https://" + srv.Listener.Addr().String())
	if err == nil {
		resp.Body.Close()
		t.Fatal("https to an HTTP server succeeded")
	}
	return err
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   func(t *testing.T) error
		class Class
		msg   string // exact, or a prefix when it ends in "…"
	}{
		{"nil", func(*testing.T) error { return nil }, Other, ""},
		{"refused", refusedErr, Connect, "connect: connection refused"},
		{"refused wrapped", func(t *testing.T) error { return fmt.Errorf("GET /: %w", refusedErr(t)) }, Connect, "connect: connection refused"},
		{"dial deadline", dialTimeoutErr, Timeout, "timeout: could not connect within the request timeout"},
		{"dialer timeout", dialerTimeoutErr, Timeout, "timeout: could not connect within the request timeout"},
		{"read deadline", readTimeoutErr, Timeout, "timeout: no complete response within the request timeout"},
		{"context deadline", func(*testing.T) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
			defer cancel()
			<-ctx.Done()
			return ctx.Err()
		}, Timeout, "timeout: no complete response within the request timeout"},
		{"context deadline wrapped", func(*testing.T) error { return fmt.Errorf("fetching: %w", context.DeadlineExceeded) },
			Timeout, "timeout: no complete response within the request timeout"},
		{"reset", resetErr, Reset, "reset: connection reset by peer"},
		{"eof", eofErr, Reset, "reset: server closed the connection before a full response"},
		{"unexpected eof", func(*testing.T) error { return fmt.Errorf("body: %w", io.ErrUnexpectedEOF) },
			Reset, "reset: server closed the connection before a full response"},
		{"dns not found", func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "shop.invalid", IsNotFound: true}}
		}, DNS, "dns: cannot resolve shop.invalid"},
		{"dns timeout", func(*testing.T) error {
			return &net.DNSError{Err: "i/o timeout", Name: "slow.invalid", IsTimeout: true}
		}, DNS, "dns: timeout looking up slow.invalid"},
		{"tls untrusted (net/http)", untrustedTLSErr, TLS, "tls: certificate not trusted"},
		{"tls untrusted (crypto/tls)", untrustedTLSDialErr, TLS, "tls: certificate not trusted"},
		{"tls wrong host", wrongHostTLSErr, TLS, "tls: certificate not trusted"},
		{"tls remote alert", remoteAlertErr, TLS, "tls: peer refused: …"},
		{"tls alert", func(*testing.T) error { return fmt.Errorf("quic: %w", tls.AlertError(42)) }, TLS, "tls: bad certificate"},
		{"tls to http (crypto/tls)", notTLSErr, TLS, "tls: peer did not answer with TLS"},
		{"tls to http (net/http)", httpsToHTTPErr, TLS, "tls: peer did not answer with TLS"},
		{"status", func(*testing.T) error { return &testStatus{code: 404, text: "HTTP 404 Not Found"} }, Status, "HTTP 404 Not Found"},
		{"status without text", func(*testing.T) error { return fmt.Errorf("x: %w", &testStatus{code: 599, text: "HTTP 599"}) }, Status, "HTTP 599"},
		{"user", func(*testing.T) error { return &UserError{Err: errors.New("wrong price")} }, User, "wrong price"},
		{"user with pointer", func(*testing.T) error { return &UserError{Err: errors.New("bad item at 0xc000123456")} }, User, "bad item at 0x…"},
		{"protocol", func(*testing.T) error { return &ProtocolError{Err: errors.New(`malformed HTTP response "SSH-2.0"`)} },
			Protocol, `invalid response: malformed HTTP response "SSH-2.0"`},
		{"other", func(*testing.T) error { return errors.New("something odd") }, Other, "something odd"},
		{"other with local port", func(*testing.T) error {
			return errors.New("write tcp 127.0.0.1:54321->127.0.0.1:80: weird")
		}, Other, "write tcp 127.0.0.1:80: weird"},
		{"interrupted", func(*testing.T) error { return &InterruptedError{Err: context.Canceled} },
			Interrupted, "interrupted at stop: no response"},
		{"interrupted wins over the timeout that aborted it", func(*testing.T) error {
			return fmt.Errorf("GET /: %w", &InterruptedError{Err: os.ErrDeadlineExceeded})
		}, Interrupted, "interrupted at stop: no response"},
		{"control user error wins over timeout", func(*testing.T) error {
			return &UserError{Err: fmt.Errorf("gave up: %w", context.DeadlineExceeded)}
		}, User, "gave up: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.err(t)
			class, msg := Classify(err)
			if class != tt.class || !msgMatches(msg, tt.msg) {
				t.Errorf("Classify(%v) = %v, %q; want %v, %q", err, class, msg, tt.class, tt.msg)
			}
			if m := Message(err); m != msg {
				t.Errorf("Message = %q, Classify's message %q", m, msg)
			}
			if len(msg) > maxMessage+len("…") {
				t.Errorf("message of %d bytes", len(msg))
			}
		})
	}
}

func msgMatches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, p) && len(got) > len(p)
	}
	return got == want
}

func TestClassStrings(t *testing.T) {
	t.Parallel()
	want := map[Class]string{Other: "error", DNS: "dns", Connect: "connect", TLS: "tls", Timeout: "timeout",
		Reset: "reset", Protocol: "protocol", Status: "status", User: "user", Interrupted: "interrupted", Class(99): "Class(99)"}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), s)
		}
	}
}

func TestErrorTypes(t *testing.T) {
	t.Parallel()
	inner := errors.New("inner")
	if ue := (&UserError{Err: inner}); !errors.Is(ue, inner) || ue.Error() != "inner" {
		t.Errorf("UserError: %v", ue)
	}
	if pe := (&ProtocolError{Err: inner}); !errors.Is(pe, inner) || pe.Error() != "invalid response: inner" {
		t.Errorf("ProtocolError: %v", pe)
	}
	if ie := (&InterruptedError{Err: inner}); !errors.Is(ie, inner) || ie.Error() != "interrupted at stop: inner" {
		t.Errorf("InterruptedError: %v", ie)
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 299) + "é" + strings.Repeat("b", 50) // é straddles byte 300
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"read tcp 127.0.0.1:54321->127.0.0.1:8080: read: connection reset by peer",
			"read tcp 127.0.0.1:8080: read: connection reset by peer"},
		{"read tcp [::1]:40000->[::1]:80: boom", "read tcp [::1]:80: boom"},
		{"two 10.0.0.1:1->10.0.0.2:2 and 10.0.0.1:3->10.0.0.2:2", "two 10.0.0.2:2 and 10.0.0.2:2"},
		{"object 0xc000123456 and 0xDEADBEEF00", "object 0x… and 0x…"},
		{"short hex 0x1f stays", "short hex 0x1f stays"},
		{strings.Repeat("x", maxMessage), strings.Repeat("x", maxMessage)},
		{strings.Repeat("x", maxMessage+1), strings.Repeat("x", maxMessage) + "…"},
		{long, strings.Repeat("a", 299) + "…"},
		{strings.Repeat("日本", 100), strings.Repeat("日本", 50) + "…"}, // 3-byte runes: 300 is a boundary
		{strings.Repeat("€", 101), strings.Repeat("€", 100) + "…"},
		{strings.Repeat("ab€", 80), strings.Repeat("ab€", 60) + "…"},
	}
	for _, tt := range tests {
		got := Sanitize(tt.in)
		if got != tt.want {
			t.Errorf("Sanitize(%.40q…) = %.60q…, want %.60q…", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Sanitize(%.40q…) is not valid UTF-8", tt.in)
		}
		if again := Sanitize(got); again != got {
			t.Errorf("Sanitize is not idempotent on %.40q…: %.60q…", got, again)
		}
	}
	// Same failure, other connections: one message.
	a := Message(errors.New("read tcp 127.0.0.1:50001->127.0.0.1:80: i/o weird at 0xc000011110"))
	b := Message(errors.New("read tcp 127.0.0.1:50002->127.0.0.1:80: i/o weird at 0xc000099990"))
	if a != b {
		t.Errorf("messages differ: %q and %q", a, b)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "plain", "read tcp 127.0.0.1:54321->127.0.0.1:8080: reset",
		"0xc000123456", strings.Repeat("é", 200), strings.Repeat("x", 299) + "日本",
		"\xff\xfe", strings.Repeat("\x80", 400), "a:1->b:2->c:3->",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Sanitize(s)
		if len(got) > maxMessage+len("…") {
			t.Fatalf("Sanitize gave %d bytes", len(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Sanitize(%q) = %q: not valid UTF-8", s, got)
		}
		if len(s) <= maxMessage && len(got) > len(s) {
			t.Fatalf("Sanitize(%q) = %q grew", s, got)
		}
		if utf8.ValidString(s) && Sanitize(got) != got {
			t.Fatalf("Sanitize not idempotent on %q: %q then %q", s, got, Sanitize(got))
		}
	})
}

// testStatus is an HTTP status failure, as herd.StatusError.
type testStatus struct {
	code int
	text string
}

func (e *testStatus) Error() string   { return e.text }
func (e *testStatus) HTTPStatus() int { return e.code }

// backstop bounds the helpers' dials and reads, whose errors come at once:
// generous, so that a starved machine never turns them into timeouts.
const backstop = time.Minute
