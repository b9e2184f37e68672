package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ErrNotLoopback is returned (wrapped) by Start for an address that is not
// on loopback: the demo shop must never be exposed.
var ErrNotLoopback = errors.New("demo: address is not a loopback address")

// Server is a running demo shop on loopback. Build one with Start and stop it
// with Close.
type Server struct {
	// URL is the shop's base URL, such as "http://127.0.0.1:41234" (no
	// trailing slash).
	URL string
	// Addr is the address the shop listens on, such as "127.0.0.1:41234".
	Addr string

	shop   *Shop
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{} // closed when Serve has returned

	serveErr  error // set before done is closed
	closeOnce sync.Once
	closeErr  error
}

// Start serves the shop on addr (e.g. "127.0.0.1:0" for a free port) and
// returns once it is accepting connections. Only loopback addresses are
// accepted (127.0.0.0/8, ::1 and "localhost", which means 127.0.0.1):
// anything else, including an empty host, is an error wrapping
// ErrNotLoopback, and nothing is listened on.
func Start(addr string, opts Options) (*Server, error) {
	listenAddr, err := loopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("%w: listening on %s", ErrNotLoopback, ln.Addr())
	}
	return serve(ln, Handler(opts)), nil
}

// serve serves shop on ln (a loopback listener) in a new goroutine.
func serve(ln net.Listener, shop *Shop) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		Addr:   ln.Addr().String(),
		shop:   shop,
		cancel: cancel,
		done:   make(chan struct{}),
		srv: &http.Server{
			Handler:           shop,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      2*maxDelay + 30*time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			BaseContext:       func(net.Listener) context.Context { return ctx },
			ErrorLog:          log.New(io.Discard, "", 0),
		},
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	return s
}

// Requests returns the per-route request counts of the running shop; see
// Shop.Requests.
func (s *Server) Requests() map[string]int64 {
	return s.shop.Requests()
}

// Close stops the server and waits for it: requests still waiting their
// simulated latency are answered 503 at once, open connections are closed,
// and Close returns when the serving goroutine has ended. It is idempotent:
// later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel() // abort simulated latencies of in-flight requests
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close() // handlers that are stuck writing to slow clients
		}
		<-s.done
		s.shop.chat.close() // hijacked chat connections, which Shutdown does not track
		s.closeErr = s.serveErr
	})
	return s.closeErr
}

// loopbackAddr checks that addr ("host:port") names a loopback host and
// returns the address to listen on.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("demo: bad address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		// Not resolved: a hosts file could map localhost elsewhere.
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if host == "" {
		return "", fmt.Errorf("%w: %q has no host (it would listen on all interfaces)", ErrNotLoopback, addr)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// FallbackHost serves the demo shop on a free loopback port with its
// default options. It fits herd.Test.FallbackHost, so a test program runs
// against the demo shop when no host is given:
//
//	herd.Main(&herd.Test{Users: users, FallbackHost: demo.FallbackHost})
func FallbackHost() (url string, stop func() error, err error) {
	srv, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		return "", nil, err
	}
	return srv.URL, srv.Close, nil
}
