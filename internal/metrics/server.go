package metrics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/herdload/herd/internal/basicauth"
)

// ServerOptions configure a [Server].
type ServerOptions struct {
	// Addr is the host:port to listen on; port 0 picks a free one, an
	// empty host listens on every interface.
	Addr string
	// Auth is "user:password" to require HTTP basic auth, or "" for none:
	// the web UI's --web-auth.
	Auth string
	// TLSCert and TLSKey are PEM files to serve HTTPS; both or neither.
	TLSCert, TLSKey string
	// Log receives the server's errors; nil discards them.
	Log *slog.Logger
}

// Server serves only /metrics, for a run without the web UI
// (--metrics-port), behind the web UI's auth and TLS options.
type Server struct {
	srv  *http.Server
	url  string
	done chan struct{} // closed when Serve returned
	once sync.Once
	err  error
}

// Serve listens on opts.Addr and serves h at /metrics in the background
// until Close.
func Serve(opts ServerOptions, h http.Handler) (*Server, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var tlsConfig *tls.Config
	if opts.TLSCert != "" || opts.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("metrics: load TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{
		srv: &http.Server{
			Handler:           basicauth.Require(opts.Auth, mux),
			TLSConfig:         tlsConfig,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		},
		url:  displayURL(ln.Addr(), opts.Addr, tlsConfig != nil),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		var err error
		if tlsConfig != nil {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is where the metrics are served, such as http://127.0.0.1:9646/metrics
// (a server on every interface is shown with a loopback host).
func (s *Server) URL() string { return s.url }

// Close shuts the server down, waiting for scrapes in progress until ctx
// ends, and for its goroutine. Calling it again returns the first result.
func (s *Server) Close(ctx context.Context) error {
	s.once.Do(func() {
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
			s.err = fmt.Errorf("metrics: shutdown: %w", err)
		}
		<-s.done
	})
	return s.err
}

// displayURL is the URL of /metrics on a listener at addr bound as asked.
func displayURL(addr net.Addr, asked string, https bool) string {
	scheme := "http"
	if https {
		scheme = "https"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	host, _, err := net.SplitHostPort(asked)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/metrics"
}
