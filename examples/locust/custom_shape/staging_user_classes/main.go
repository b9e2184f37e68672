// Command staging_user_classes is Locust's
// custom_shape/staging_user_classes.py in herd: a load shape whose stages
// also pick which user types run. Without -H it tests herd's built-in demo
// shop:
//
//	go run ./examples/locust/custom_shape/staging_user_classes --headless
package main

import (
	"context"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// WebsiteUser gets the home page, every half second; WebsiteUserA and
// WebsiteUserB are two types of it.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get_root", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

// stage is one stage: until the test has run for duration, run users of
// userTypes (every type when empty), started or stopped at spawnRate.
type stage struct {
	duration  time.Duration
	users     int
	spawnRate float64
	userTypes []string
}

// stagesShape is Locust's StagesShapeWithCustomUsers.
type stagesShape struct{ stages []stage }

func (s stagesShape) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	for _, stage := range s.stages {
		if st.Elapsed < stage.duration {
			return herd.ShapeTick{Users: stage.users, SpawnRate: stage.spawnRate, UserTypes: stage.userTypes}, true
		}
	}
	return herd.ShapeTick{}, false
}

func newShape() herd.LoadShape {
	a, b := []string{"WebsiteUserA"}, []string{"WebsiteUserB"}
	return stagesShape{stages: []stage{
		{60 * time.Second, 10, 10, a},
		{100 * time.Second, 50, 10, b},
		{180 * time.Second, 100, 10, a},
		{220 * time.Second, 30, 10, nil},
		{230 * time.Second, 10, 10, nil},
		{240 * time.Second, 1, 1, nil},
	}}
}

func newTest() *herd.Test {
	user := func(name string) *herd.UserType {
		return &herd.UserType{Name: name, New: func() herd.User { return new(WebsiteUser) },
			Wait: herd.Constant(500 * time.Millisecond)}
	}
	return &herd.Test{
		Users:        []*herd.UserType{user("WebsiteUserA"), user("WebsiteUserB")},
		Shape:        newShape(),
		FallbackHost: demo.FallbackHost,
	}
}

func main() { herd.Main(newTest()) }
