package control

import (
	"fmt"

	"github.com/herdload/herd/internal/dispatch"
)

// checkCapacity asks whether users of types (split as the runner splits
// them) fit this process: an error refuses them, a warning is logged.
// Without a Capacity hook every count fits.
func (c *Controller) checkCapacity(types []Type, users int) error {
	if c.opts.Capacity == nil || users <= 0 {
		return nil
	}
	dt := make([]dispatch.Type, len(types))
	for i, t := range types {
		dt[i] = dispatch.Type{Weight: t.Weight, Fixed: t.FixedCount}
		if t.Weight == 0 && t.FixedCount == 0 {
			dt[i].Weight = 1
		}
	}
	plan, err := dispatch.New(dt)
	if err != nil {
		return fmt.Errorf("user types: %w", err)
	}
	counts := make(map[string]int, len(types))
	for i, n := range plan.Counts(users) {
		counts[types[i].Name] = n
	}
	return c.capacity(counts)
}

// capacity checks per-type counts with the Capacity hook.
func (c *Controller) capacity(counts map[string]int) error {
	if c.opts.Capacity == nil {
		return nil
	}
	warning, err := c.opts.Capacity(counts)
	if err != nil {
		return err
	}
	if warning != "" {
		c.log.Warn(warning)
	}
	return nil
}
