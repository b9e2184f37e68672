package herd

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/web"
)

// webController builds the controller the web UI drives, over two quiet
// user types, with its tick loop running.
func webController(t *testing.T) *controller {
	t.Helper()
	mk := func(name string, w int) *UserType {
		return &UserType{Name: name, Weight: w, Wait: Constant(20 * time.Millisecond), New: func() User {
			return TaskList(func() []Task {
				return []Task{{Name: "op", Run: func(ctx context.Context) error {
					return Time(ctx, "custom", name, func(context.Context) (int64, error) { return 1, nil })
				}}}
			})
		}}
	}
	test := &Test{Users: []*UserType{mk("A", 3), mk("B", 1)}}
	cfg := config.Default()
	cfg.ClassPicker = true
	all, picked, err := test.prepare(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := newController(test, cfg, Env{}.withDefaults(), slog.New(slog.NewTextHandler(io.Discard, nil)), all, picked)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		c.stop("test over")
		cancel()
	})
	go c.loop(ctx, false)
	return c
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestControllerLifecycle(t *testing.T) {
	t.Parallel()
	c := webController(t)
	if s := c.Status(); s.State != web.StateReady || len(s.UserClasses) != 2 || !s.ClassPicker {
		t.Fatalf("initial status %+v", s)
	}
	if err := c.Swarm(web.SwarmRequest{Users: 4, SpawnRate: 100, UserClasses: []string{"Nobody"}}); err == nil {
		t.Error("an unknown class was accepted")
	}
	if err := c.Swarm(web.SwarmRequest{Users: 4, SpawnRate: 100}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running at 4 users", func() bool { s := c.Status(); return s.State == web.StateRunning && s.Users == 4 })
	waitFor(t, "two history rows", func() bool { return len(c.History()) >= 2 })
	if c.Snapshot().Total.Requests == 0 {
		t.Error("no requests counted")
	}
	tr := c.TaskRatio()
	if tr.PerClass["A"].Ratio != 0.75 || tr.Total["B"].Tasks["op"].Ratio != 0.25 {
		t.Errorf("task ratio %+v", tr)
	}

	// Change the running test: more users, then fewer.
	if err := c.Swarm(web.SwarmRequest{Users: 8, SpawnRate: 100}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "8 users", func() bool { s := c.Status(); return s.State == web.StateRunning && s.Users == 8 })

	c.ResetStats()
	if n := c.Snapshot().Total.Requests; n > 100 {
		t.Errorf("%d requests right after a reset", n)
	}
	waitFor(t, "requests counted after the reset", func() bool { return c.Snapshot().Total.Requests > 0 })
	c.Stop()
	waitFor(t, "stopped", func() bool { return c.Status().State == web.StateStopped })
	s := c.Status()
	if s.Users != 0 || s.StoppedAt.IsZero() {
		t.Errorf("stopped status %+v", s)
	}
	before := c.Snapshot().Total.Requests
	if before == 0 {
		t.Fatal("the stopped test lost its statistics")
	}

	// A new test with only class B starts from empty statistics.
	if err := c.Swarm(web.SwarmRequest{Users: 2, SpawnRate: 100, UserClasses: []string{"B"}, RunTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run time to stop the new test", func() bool { return c.Status().State == web.StateStopped })
	snap := c.Snapshot()
	for _, e := range snap.Entries {
		if e.Name != "B" {
			t.Errorf("class A ran in a B-only test: %+v", e)
		}
	}
	for _, uc := range c.Status().UserClasses {
		if uc.Selected != (uc.Name == "B") {
			t.Errorf("class %s selected=%v", uc.Name, uc.Selected)
		}
	}
}
