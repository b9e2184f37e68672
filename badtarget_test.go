package herd_test

// Targets that misbehave at the network or protocol level. Whatever they
// do, a run must classify the failures, never crash or hang (htRun fails a
// run that outlives its run time by htHang) and exit with code 1.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/stats"
)

// rawServer accepts connections on loopback and hands each to fn. Stopping
// it (at the end of the test) closes the listener and every connection.
func rawServer(t *testing.T, fn func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					c.Close()
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
				}()
				fn(c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// readRequest reads one request's head (the tests send no bodies).
func readRequest(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

// badTarget is one misbehaving target.
type badTarget struct {
	name string
	// start returns the target's URL.
	start func(t *testing.T) string
	args  []string
	// prefix every failure message must start with, per client; a missing
	// entry uses the "" entry.
	prefix map[string]string
	// ok: the client is expected to succeed (exit code 0) instead.
	ok map[string]bool
	// once: each user makes one request, then the test stops.
	once bool
	// untilEnd: the users keep at it until the run time ends (otherwise
	// the test stops after a few requests per user).
	untilEnd bool
}

var badTargets = []badTarget{
	{
		name: "connection refused",
		start: func(t *testing.T) string {
			return "http://" + htClosedAddr(t)
		},
		prefix: map[string]string{"": "connect: connection refused"},
	},
	{
		name: "connection reset mid-response",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if !readRequest(c) {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial body")
				c.SetLinger(0) // close with a RST
			})
		},
		prefix: map[string]string{"": "reset: "},
	},
	{
		name: "connection reset before answering",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if readRequest(c) {
					c.SetLinger(0)
				}
			})
		},
		prefix: map[string]string{"": "reset: "},
	},
	{
		name: "server stalls past the request timeout",
		start: func(t *testing.T) string {
			done := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-done:
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(done) }) // first: frees the handlers
			return srv.URL
		},
		args: []string{"--request-timeout", "300ms"},
		// "no complete response", or "could not connect" when a starved
		// machine took the whole timeout to dial.
		prefix:   map[string]string{"": "timeout: "},
		untilEnd: true, // the run time ends during stalled requests
	},
	{
		name: "server stalls in the middle of the body",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if !readRequest(c) {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
				c.SetReadDeadline(time.Time{})
				io.Copy(io.Discard, c) // until the client gives up or the test ends
			})
		},
		args:   []string{"--request-timeout", "300ms"},
		prefix: map[string]string{"": "timeout: "}, // as above
	},
	{
		name: "garbage instead of HTTP",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if readRequest(c) {
					io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n")
				}
			})
		},
		prefix: map[string]string{"": "invalid response: "},
	},
	{
		name: "binary garbage",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if readRequest(c) {
					c.Write([]byte("\x00\x01\x02\xff\xfe HTTP/1.1\r\n\r\n"))
				}
			})
		},
		prefix: map[string]string{"": "invalid response: "},
	},
	{
		name: "invalid chunked body",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				if readRequest(c) {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n")
				}
			})
		},
		prefix: map[string]string{"": "invalid response: "},
	},
	{
		name: "server closes without answering",
		start: func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				readRequest(c)
			})
		},
		prefix: map[string]string{"": "reset: server closed the connection before a full response"},
	},
	{
		name: "huge body",
		start: func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				chunk := make([]byte, 1<<20)
				for range 64 { // 64 MiB, streamed
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		},
		once: true,
		// net/http keeps the first 16 MiB and counts the rest: a success.
		ok:     map[string]bool{"net/http": true},
		prefix: map[string]string{"fasthttp": "response body larger than the 16777216-byte limit"},
	},
}

const badRunTime = 2 * time.Second

func TestBadTargets(t *testing.T) {
	t.Parallel()
	for _, f := range htFlavors {
		for _, bt := range badTargets {
			t.Run(f.name+"/"+bt.name, func(t *testing.T) {
				t.Parallel()
				host := bt.start(t)
				o := htRunOpts{users: 2, runTime: badRunTime, args: bt.args, wait: herd.Constant(5 * time.Millisecond)}
				if bt.once {
					// One request, then the task stops the test: the run time
					// is only a backstop, long enough for 64 MiB under -race.
					o.users, o.runTime = 1, 20*time.Second
				}
				var seen []string
				var mu sync.Mutex
				res := htRun(t, f, host, o, func(ctx context.Context, c htClient, _ http.Header, call int) error {
					if bt.once && call > 0 || !bt.untilEnd && call >= 5 {
						return herd.ErrStopTest
					}
					r := c.Do(ctx, "GET", "/", herd.Body{})
					if bt.once && r.Size > 0 {
						mu.Lock()
						seen = append(seen, fmt.Sprintf("Size %d, kept %d", r.Size, len(r.Body)))
						mu.Unlock()
					}
					if err := r.Err(); err != nil {
						// A request cut by the stop before it left is not
						// recorded: its error is the context's.
						var re *herd.RequestError
						if !errors.As(err, &re) && !errors.Is(err, context.Canceled) {
							t.Errorf("Err() = %T %v, want a *herd.RequestError", err, err)
						}
						return err
					}
					return nil
				})
				t.Logf("%v, exit code %d, failures %+v", res.elapsed.Round(time.Millisecond), res.code, res.report.Failures)
				defer func() {
					if t.Failed() {
						t.Logf("report: %+v\nstderr:\n%s", res.report, res.stderr)
					}
				}()
				if len(res.report.Errors) != 0 {
					t.Errorf("request failures counted as errors too: %+v", res.report.Errors)
				}
				if bt.ok[f.name] {
					if res.code != herd.ExitOK || res.report.Total.Failures != 0 {
						t.Errorf("exit code %d, %d failures; want a success", res.code, res.report.Total.Failures)
					}
					if bt.name == "huge body" {
						e, _ := res.report.entry("GET", "/")
						if e.Requests != 1 || e.AvgContentLength != 64<<20 || len(seen) != 1 || seen[0] != fmt.Sprintf("Size %d, kept %d", 64<<20, 16<<20) {
							t.Errorf("huge body: %+v, %q", e, seen)
						}
					}
					return
				}
				if res.code != herd.ExitFailures {
					t.Errorf("exit code %d, want %d", res.code, herd.ExitFailures)
				}
				if res.report.Total.Failures == 0 || len(res.report.Failures) == 0 {
					t.Fatalf("no failures: %+v", res.report.Total)
				}
				prefix, ok := bt.prefix[f.name]
				if !ok {
					prefix = bt.prefix[""]
				}
				var sum int64
				kinds := 0
				for _, fl := range res.report.Failures {
					sum += fl.Occurrences
					if fl.Error == failure.InterruptedMessage {
						// Requests in flight when the stop killed their user.
						if fl.Occurrences > int64(o.users) {
							t.Errorf("%d requests interrupted at the stop, more than the %d users", fl.Occurrences, o.users)
						}
						continue
					}
					kinds++
					if fl.Method != "GET" || fl.Name != "/" || !strings.HasPrefix(fl.Error, prefix) {
						t.Errorf("failure %s %s %q, want a message starting %q", fl.Method, fl.Name, fl.Error, prefix)
					}
				}
				if sum != res.report.Total.Failures {
					t.Errorf("failure rows add up to %d, total says %d", sum, res.report.Total.Failures)
				}
				if kinds == 0 || kinds > 2 {
					t.Errorf("%d kinds of failure for one fault", kinds)
				}
			})
		}
	}
}

// TestFailureTableIsBounded: a target whose every error is worded
// differently fills the failure table up to its cap, then one overflow row.
func TestFailureTableIsBounded(t *testing.T) {
	t.Parallel()
	const requests = stats.MaxFailureKinds + 200
	for _, f := range htFlavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			var n int
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				id := n
				mu.Unlock()
				fmt.Fprintf(w, "error: order %d was rejected", id)
			}))
			t.Cleanup(srv.Close)
			reject := herd.Check(func(r *herd.Response) error { return errors.New(r.Text()) })
			res := htRun(t, f, srv.URL, htRunOpts{runTime: 30 * time.Second}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for range requests {
					if c.Do(ctx, "GET", "/order", herd.Body{}, reject).OK() {
						t.Error("the check passed")
					}
				}
				return herd.ErrStopTest
			})
			rows := res.report.Failures
			if len(rows) > stats.MaxFailureKinds+1 {
				t.Errorf("%d failure rows, more than the cap of %d plus one", len(rows), stats.MaxFailureKinds)
			}
			var sum int64
			overflow := false
			for _, r := range rows {
				sum += r.Occurrences
				overflow = overflow || r.Error == stats.OverflowMessage
			}
			if !overflow {
				t.Error("no overflow row")
			}
			if sum != requests || res.report.Total.Failures != requests {
				t.Errorf("failure rows add up to %d, total %d; want %d", sum, res.report.Total.Failures, requests)
			}
			if res.code != herd.ExitFailures {
				t.Errorf("exit code %d", res.code)
			}
		})
	}
}

// TestNoResendAfterABadAnswer: a request that got an invalid or a partial
// answer is not sent again behind the test's back (a fasthttp.Client would
// by default resend idempotent requests up to five times): one recorded
// request, one connection. (A connection closed or reset before any answer
// is resent by both clients only when it had been used before: see
// TestStaleKeepAliveIsResent and TestFastSessionDoesNotResendOnANewConnection.)
func TestNoResendAfterABadAnswer(t *testing.T) {
	t.Parallel()
	for _, f := range htFlavors {
		for _, answer := range []string{"garbage", "partial then reset"} {
			t.Run(f.name+"/"+answer, func(t *testing.T) {
				t.Parallel()
				var conns atomic.Int32
				host := rawServer(t, func(c *net.TCPConn) {
					conns.Add(1)
					if !readRequest(c) {
						return
					}
					if answer == "garbage" {
						io.WriteString(c, "garbage\r\n\r\n")
						return
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
					c.SetLinger(0)
				})
				const requests = 5
				res := htRun(t, f, host, htRunOpts{runTime: 10 * time.Second}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
					for range requests {
						c.Do(ctx, "GET", "/", herd.Body{})
					}
					return herd.ErrStopTest
				})
				if res.report.Total.Failures != requests {
					t.Errorf("%d failures, want %d: %+v", res.report.Total.Failures, requests, res.report.Failures)
				}
				if n := conns.Load(); n != requests {
					t.Errorf("%d connections for %d requests", n, requests)
				}
			})
		}
	}
}

// TestStaleKeepAliveIsResent: a server that closes every connection after
// one answer, without saying so, makes the next request on that connection
// fail before any answer; the client sends it again on a new connection,
// unseen by the statistics.
func TestStaleKeepAliveIsResent(t *testing.T) {
	t.Parallel()
	for _, f := range htFlavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			host := rawServer(t, func(c *net.TCPConn) {
				if readRequest(c) {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			})
			const requests = 6
			res := htRun(t, f, host, htRunOpts{runTime: 10 * time.Second}, func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for range requests {
					if r := c.Do(ctx, "GET", "/", herd.Body{}); r.Text() != "ok" {
						t.Errorf("Err %v, body %q", r.Err(), r.Text())
					}
				}
				return herd.ErrStopTest
			})
			if res.report.Total.Requests != requests || res.report.Total.Failures != 0 {
				t.Errorf("total %+v, failures %+v", res.report.Total, res.report.Failures)
			}
		})
	}
}
