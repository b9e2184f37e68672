// Command step_load is Locust's custom_shape/step_load.py in herd: ten
// more users every 30 seconds, for ten minutes. Without -H it tests herd's
// built-in demo shop:
//
//	go run ./examples/locust/custom_shape/step_load --headless
//
// (The same steps need no code: --shape steps:users=200,step=10,every=30s.)
package main

import (
	"context"
	"math"
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

// stepLoad is Locust's StepLoadShape: stepLoad users more every stepTime,
// started at spawnRate a second, until timeLimit.
type stepLoad struct {
	stepTime, timeLimit time.Duration
	stepLoad            int
	spawnRate           float64
}

func (s stepLoad) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	if st.Elapsed > s.timeLimit {
		return herd.ShapeTick{}, false
	}
	step := int(math.Floor(st.Elapsed.Seconds()/s.stepTime.Seconds())) + 1
	return herd.ShapeTick{Users: step * s.stepLoad, SpawnRate: s.spawnRate}, true
}

func newShape() herd.LoadShape {
	return stepLoad{stepTime: 30 * time.Second, stepLoad: 10, spawnRate: 10, timeLimit: 600 * time.Second}
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
