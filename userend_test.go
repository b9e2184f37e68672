package herd_test

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/herdload/herd"
)

// ender logs its life and what AfterUser runs.
type ender struct {
	log        *[]string
	failStart  bool
	registered bool
}

func (u *ender) OnStart(ctx context.Context) error {
	u.registered = herd.AfterUser(ctx, func() { *u.log = append(*u.log, "after 1") })
	herd.AfterUser(ctx, func() { *u.log = append(*u.log, "after 2") })
	*u.log = append(*u.log, "start")
	if u.failStart {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (u *ender) OnStop(context.Context) error {
	*u.log = append(*u.log, "stop")
	return nil
}

func (u *ender) Tasks() []herd.Task {
	return []herd.Task{{Name: "task", Run: func(context.Context) error {
		*u.log = append(*u.log, "task")
		return nil
	}}}
}

// TestAfterUser: what AfterUser registers runs once the user ended, after
// OnStop (or a failed OnStart), in order; outside a user it is refused.
func TestAfterUser(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		failStart bool
		want      []string
	}{
		{false, []string{"start", "task", "stop", "after 1", "after 2"}},
		{true, []string{"start", "after 1", "after 2"}},
	} {
		var log []string
		u := &ender{log: &log, failStart: tt.failStart}
		ut := &herd.UserType{Name: "ender", New: func() herd.User { return u }}
		_ = herd.RunSingleUser(context.Background(), ut, herd.SingleUser{Out: io.Discard})
		if !u.registered || !slices.Equal(log, tt.want) {
			t.Errorf("failStart %v: registered %v, life %q, want %q", tt.failStart, u.registered, log, tt.want)
		}
	}
	if herd.AfterUser(context.Background(), func() {}) {
		t.Error("AfterUser accepted a context that is no user's")
	}
}
