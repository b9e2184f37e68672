// Command herdload is the herd side of the benchmark: three user types,
// chosen by naming them on the command line.
//
//   - Fast: herd.FastHTTPUser, one task GET "/", no wait.
//   - Std: herd.HTTPUser, the same.
//   - Custom: a task that only calls herd.Record with a fixed duration, to
//     measure herd's own per-task overhead without any network.
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
)

type fastUser struct{ herd.FastHTTPUser }

func (u *fastUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

type stdUser struct{ herd.HTTPUser }

func (u *stdUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

type customUser struct{}

func (customUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "record", Run: func(ctx context.Context) error {
		herd.Record(ctx, herd.Request{Kind: "custom", Name: "noop", Duration: time.Millisecond, Size: 13})
		return nil
	}}}
}

func main() {
	herd.Main(&herd.Test{Users: []*herd.UserType{
		{Name: "Fast", New: func() herd.User { return new(fastUser) }},
		{Name: "Std", New: func() herd.User { return new(stdUser) }},
		{Name: "Custom", New: func() herd.User { return customUser{} }},
	}})
}
