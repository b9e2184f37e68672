// Package web serves herd's real-time web UI and its HTTP API: Locust's
// routes with Locust's JSON shapes (so tools that drive or scrape Locust keep
// working) plus herd's own /api/ routes and a Server-Sent Events stream. The
// routes and shapes are documented in docs/web-api.md.
//
// The package knows nothing of the runner: it drives a [Controller], which
// the root package implements.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a [Server].
type Options struct {
	// Addr is the host:port to listen on; port 0 picks a free one, an empty
	// host listens on every interface.
	Addr string
	// BasePath is the path prefix every route is served under: "" or "/x"
	// (a trailing slash is ignored). BasePath itself redirects to BasePath+"/".
	BasePath string
	// Auth is "user:password" to require HTTP basic auth on every route, or
	// "" for none.
	Auth string
	// AllowedHosts are the host names (a port is ignored) the server
	// answers to without Auth, besides localhost, IP addresses and Addr's
	// host: a name, "*.example.com" for every name under example.com, or
	// "*" for any. Requests for another name get 421, against DNS
	// rebinding (hostcheck.go). With Auth, every name is answered.
	// [Server.Start] fails on a value that is none of these.
	AllowedHosts []string
	// TLSCert and TLSKey are PEM files to serve HTTPS; both or neither.
	TLSCert, TLSKey string
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Assets is the built UI, index.html at its root. Nil serves no UI (the
	// API still works).
	Assets fs.FS
	// Report renders the self-contained HTML report for /stats/report; nil
	// answers 404 there.
	Report func(w io.Writer, c Controller) error
	// PushEvery is the period of the /api/events updates; default 1s.
	PushEvery time.Duration
	// Metrics serves GET /metrics (Prometheus) behind the same auth and
	// TLS as every route; nil serves none.
	Metrics http.Handler
	// Extension is the test's own routes and tabs (extension.go).
	// [Server.Start] fails when one would shadow herd's routes.
	Extension Extension
}

// Server is the web UI's HTTP server. Create it with [New], then either
// [Server.Start] it or mount [Server.Handler] yourself; [Server.Close] ends
// it either way.
type Server struct {
	opts    Options
	ctl     Controller
	log     *slog.Logger
	handler http.Handler
	hub     *hub
	table   liveTable // the rows of the live updates; only the hub's goroutine uses it
	assets  *staticFiles
	cop     *http.CrossOriginProtection

	hosts    hostPolicy  // the Host check without Auth
	hostsErr error       // bad AllowedHosts, returned by Start
	extErr   error       // a bad Extension, returned by Start
	tabs     []tabDoc    // the Extension's tabs for /api/state
	refusals *limitedLog // the Host check's log lines

	// heartbeat is the period of the SSE comment lines that keep proxies
	// from closing an idle stream (tests shorten it).
	heartbeat time.Duration
	// now is the clock (tests fix it).
	now func() time.Time

	// done is closed by Close: SSE streams end and the hub stops.
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	srv     *http.Server // set by Start
	started bool
}

// New returns a server for c configured by opts. It does not listen yet.
func New(opts Options, c Controller) *Server {
	if opts.PushEvery <= 0 {
		opts.PushEvery = time.Second
	}
	opts.BasePath = cleanBasePath(opts.BasePath)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:      opts,
		ctl:       c,
		log:       log,
		assets:    newStaticFiles(opts.Assets),
		heartbeat: 15 * time.Second,
		now:       time.Now,
		done:      make(chan struct{}),
	}
	s.cop = s.newCrossOriginProtection()
	s.hosts, s.hostsErr = newHostPolicy(opts.Addr, opts.AllowedHosts)
	if s.extErr = checkExtension(opts.Extension, opts.Assets); s.extErr != nil {
		s.opts.Extension = Extension{} // never routed: Start fails
	}
	s.tabs = tabDocs(s.opts.Extension)
	s.refusals = newLimitedLog(log, refusalLogEvery, func() time.Time { return s.now() })
	s.hub = newHub(s.buildTick, opts.PushEvery, s.done, log)
	s.handler = s.routes()
	return s
}

// cleanBasePath makes p "" or "/x/y": a leading slash, no trailing one.
func cleanBasePath(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// Handler is the whole routing (security headers, auth, CSRF protection,
// base path and every route), for tests or to mount elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Options.Addr (with TLS when configured) and serves in the
// background. It returns the URL to open, such as
// http://127.0.0.1:8089/herd/; a server listening on every interface is
// shown with a loopback host. Start fails if called twice or after Close.
func (s *Server) Start() (url string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return "", errors.New("web: Start after Close")
	default:
	}
	if s.started {
		return "", errors.New("web: Start called twice")
	}
	if s.hostsErr != nil {
		return "", fmt.Errorf("web: %w", s.hostsErr)
	}
	if s.extErr != nil {
		return "", fmt.Errorf("web: %w", s.extErr)
	}
	var tlsConfig *tls.Config
	if s.opts.TLSCert != "" || s.opts.TLSKey != "" {
		if s.opts.TLSCert == "" || s.opts.TLSKey == "" {
			return "", errors.New("web: TLS needs both a certificate and a key")
		}
		cert, err := tls.LoadX509KeyPair(s.opts.TLSCert, s.opts.TLSKey)
		if err != nil {
			return "", fmt.Errorf("web: load TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return "", fmt.Errorf("web: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Connection-level noise (TLS handshakes from scanners, broken
		// clients) is only worth seeing when debugging.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.srv, s.started = srv, true
	go func() {
		var err error
		if tlsConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web server stopped", "err", err)
		}
	}()
	return s.displayURL(ln.Addr(), tlsConfig != nil), nil
}

// displayURL is the URL a user opens for a listener on addr.
func (s *Server) displayURL(addr net.Addr, https bool) string {
	scheme := "http"
	if https {
		scheme = "https"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	host, _, err := net.SplitHostPort(s.opts.Addr)
	if err != nil {
		host = ""
	}
	if ip := net.ParseIP(host); host == "" || host == "*" || (ip != nil && ip.IsUnspecified()) {
		// Every interface: show loopback. A certificate is usually issued
		// for a name, so HTTPS shows localhost.
		host = "127.0.0.1"
		if https {
			host = "localhost"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port) + s.opts.BasePath + "/"
}

// Close stops serving: it ends every SSE stream, stops the update hub and
// shuts the listener down gracefully, waiting for other requests until ctx
// ends. Calling it again returns the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.done)
		srv := s.srv
		s.mu.Unlock()
		s.hub.wait()
		s.refusals.close()
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				s.closeErr = fmt.Errorf("web: shutdown: %w", err)
				srv.Close()
			}
		}
	})
	return s.closeErr
}
