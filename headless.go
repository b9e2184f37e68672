package herd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/herdload/herd/internal/keys"
	"github.com/herdload/herd/internal/web"
)

// headless runs one test from the command line's options until its run
// time ends, a task stops it, or ctx is cancelled, then writes the reports.
func (c *controller) headless(ctx context.Context) int {
	if code := c.open(ctx); code >= 0 {
		return code
	}
	defer c.close()
	loopCtx, stopLoop := context.WithCancel(context.Background())
	defer stopLoop()
	go c.loop(loopCtx, !c.cfg.OnlySummary)

	if c.master != nil {
		if err := c.waitForWorkers(ctx); err != nil {
			fmt.Fprintf(c.env.Stderr, "%s: %v\n", c.env.Prog, err)
			return ExitInternal
		}
	}
	target := c.cfg.Users
	err := c.start(ctx, web.SwarmRequest{Users: target, SpawnRate: c.cfg.SpawnRate, RunTime: c.cfg.RunTime})
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "%s: %v\n", c.env.Prog, err)
		if errors.Is(err, errListener) {
			return ExitInternal
		}
		return ExitConfig
	}

	var typed chan int // user count changes typed on the keyboard
	if f, ok := c.env.Stdin.(*os.File); ok {
		typed = make(chan int, 16)
		stop, ok := keys.Watch(f, func(k byte) {
			if d := keys.Delta(k); d != 0 {
				select {
				case typed <- d:
				default:
				}
			}
		})
		defer stop()
		if ok {
			c.log.Info("keys: w/W add 1/10 users, s/S remove 1/10")
		}
	}
	var reason string
	for reason == "" {
		select {
		case <-ctx.Done():
			reason = "interrupted"
		case reason = <-c.quit:
		case d := <-typed:
			target = max(target+d, 0)
			if err := c.Swarm(web.SwarmRequest{Users: target, SpawnRate: c.cfg.SpawnRate}); err != nil {
				c.log.Warn("cannot change the user count", "err", err)
			}
		}
	}
	c.stop(reason)
	c.quitWorkers()
	stopLoop()
	return c.finish()
}
