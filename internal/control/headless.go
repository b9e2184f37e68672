package control

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/herdload/herd/internal/keys"
)

// headless runs one test from the command line's options until its run
// time ends, a task stops it, a shape, schedule or threshold ends it, or
// ctx is cancelled. The final reports follow in Run.
func (c *Controller) headless(ctx context.Context) (int, error) {
	if c.master != nil {
		if err := c.waitForWorkers(ctx); err != nil {
			return ExitInternal, err
		}
	}
	target := c.cfg.Users
	if err := c.Swarm(Start{Users: target, SpawnRate: c.cfg.SpawnRate, RunTime: c.cfg.RunTime}); err != nil {
		if errors.Is(err, errListener) {
			return ExitInternal, err
		}
		return ExitConfig, err
	}
	run := c.current()

	var typed chan int // user count changes typed on the keyboard
	if f, ok := c.opts.Stdin.(*os.File); ok {
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
	interrupted := ctx.Done()
	for {
		select {
		case <-interrupted:
			interrupted = nil
			c.endTest(End{Reason: Interrupted})
		case <-run.done:
			return 0, nil
		case d := <-typed:
			target = max(target+d, 0)
			if err := c.Swarm(Start{Users: target, SpawnRate: c.cfg.SpawnRate}); err != nil {
				c.log.Warn("cannot change the user count", "err", fmt.Errorf("keys: %w", err))
			}
		}
	}
}
