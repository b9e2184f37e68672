package herd

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/herdload/herd/internal/web"
)

// withUI serves the web UI and lets it drive tests until ctx is cancelled,
// a task stops the test, or --autoquit fires; then it writes the reports of
// the last test.
func (c *controller) withUI(ctx context.Context) int {
	if code := c.open(ctx); code >= 0 {
		return code
	}
	defer c.close()
	srv := web.New(web.Options{
		Addr:     net.JoinHostPort(c.cfg.WebHost, strconv.Itoa(c.cfg.WebPort)),
		BasePath: c.cfg.WebBasePath,
		Auth:     c.cfg.WebAuth,
		TLSCert:  c.cfg.TLSCert,
		TLSKey:   c.cfg.TLSKey,
		Logger:   c.log,
		Assets:   web.Assets(),
		Report: func(w io.Writer, ctrl web.Controller) error {
			return web.WriteHTMLReport(w, web.ReportFromController(ctrl))
		},
	}, c)
	url, err := srv.Start()
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "%s: web UI: %v\n", c.env.Prog, err)
		return ExitConfig
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()
	c.log.Info("web UI ready: open it in a browser", "url", url)
	if c.cfg.WebHost == "" && c.cfg.WebAuth == "" {
		c.log.Warn("the web UI listens on every interface without --web-auth: anyone who reaches this port can start load tests")
	}

	loopCtx, stopLoop := context.WithCancel(context.Background())
	defer stopLoop()
	go c.loop(loopCtx, c.cfg.PrintStats)

	if c.cfg.Autostart && c.master != nil {
		if err := c.waitForWorkers(ctx); err != nil {
			c.log.Error("--autostart", "err", err)
		}
	}
	if c.cfg.Autostart {
		err := c.Swarm(web.SwarmRequest{Users: c.cfg.Users, SpawnRate: c.cfg.SpawnRate, RunTime: c.cfg.RunTime})
		if err != nil {
			c.log.Error("--autostart: could not start the test", "err", err)
		}
	}
	var reason string
	select {
	case <-ctx.Done():
		reason = "interrupted"
	case reason = <-c.quit:
	}
	c.log.Info("quitting", "reason", reason)
	c.stop(reason)
	c.quitWorkers()
	stopLoop()
	return c.finish()
}

// autoquitAfter quits the process d after a test ended (--autoquit).
func (c *controller) autoquitAfter(d time.Duration) {
	time.AfterFunc(d, func() { c.requestQuit("--autoquit") })
}
