package herd

import (
	"cmp"
	"log/slog"
	"os"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/memlimit"
)

// startMemoryLimit applies --memory-limit to this process for the run and
// returns what undoes it. A GOMEMLIMIT in the environment (the test's, or
// the process's, which the runtime reads) always wins.
func startMemoryLimit(cfg config.Config, env Env, log *slog.Logger) (stop func()) {
	s, err := memlimit.Parse(cfg.MemoryLimit)
	if err != nil { // Load validated it
		return func() {}
	}
	if v := cmp.Or(env.Getenv("GOMEMLIMIT"), os.Getenv("GOMEMLIMIT")); v != "" {
		if !s.Auto {
			log.Info("GOMEMLIMIT is set: --memory-limit is ignored", "GOMEMLIMIT", v, "memory_limit", cfg.MemoryLimit)
		}
		return func() {}
	}
	return memlimit.Start(s)
}
