// Command stages is Locust's custom_shape/stages.py in herd: a load shape
// with a user count and spawn rate per stage, ending after the last. Without
// -H it tests herd's built-in demo shop:
//
//	go run ./examples/locust/custom_shape/stages --headless
//
// (The same curve needs no code: --shape stages:60s:10,40s:50,….)
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// WebsiteUser gets the home page, every half second.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get_root", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

// stage is one stage: until the test has run for duration, run users,
// started or stopped at spawnRate a second.
type stage struct {
	duration  time.Duration
	users     int
	spawnRate float64
}

// stagesShape is Locust's StagesShape.
type stagesShape struct{ stages []stage }

func (s stagesShape) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	for _, stage := range s.stages {
		if st.Elapsed < stage.duration {
			return herd.ShapeTick{Users: stage.users, SpawnRate: stage.spawnRate}, true
		}
	}
	return herd.ShapeTick{}, false
}

func newShape() herd.LoadShape {
	return stagesShape{stages: []stage{
		{60 * time.Second, 10, 10},
		{100 * time.Second, 50, 10},
		{180 * time.Second, 100, 10},
		{220 * time.Second, 30, 10},
		{230 * time.Second, 10, 10},
		{240 * time.Second, 1, 1},
	}}
}

func newTest() *herd.Test {
	return &herd.Test{
		Users: []*herd.UserType{{
			Name: "WebsiteUser",
			New:  func() herd.User { return new(WebsiteUser) },
			Wait: herd.Constant(500 * time.Millisecond),
		}},
		Shape:        newShape(),
		FallbackHost: demo.FallbackHost,
	}
}

func main() { herd.Main(newTest()) }
