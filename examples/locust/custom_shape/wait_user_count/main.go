// Command wait_user_count is Locust's custom_shape/wait_user_count.py in
// herd: a step load that holds each step for its dwell time only once its
// user count is reached, however long the users take to start. Without -H
// it tests herd's built-in demo shop:
//
//	go run ./examples/locust/custom_shape/wait_user_count --headless
package main

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
)

// WebsiteUser gets the home page, every half second. It is slow to set up,
// and unpredictably so (0 to 5 s), as a user gathering its test data.
type WebsiteUser struct {
	herd.HTTPUser
	maxSetUp time.Duration
}

// OnStart is where a slow set-up goes in herd (Locust's example sleeps in
// the user's constructor; herd creates users with New, which must be
// quick).
func (u *WebsiteUser) OnStart(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-time.After(rand.N(u.maxSetUp + 1)):
	}
	return nil
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "get_root", Run: func(ctx context.Context) error {
		return u.Client.Get(ctx, "/").Err()
	}}}
}

// step is a user count and how long to hold it once reached.
type step struct {
	users int
	dwell time.Duration
}

// stepLoad is Locust's StepLoadShape of this example.
type stepLoad struct {
	steps   []step
	step    int
	holding bool // the current step's count is reached: its dwell runs
}

func (s *stepLoad) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	if s.step >= len(s.steps) {
		return herd.ShapeTick{}, false
	}
	target := s.steps[s.step]
	if st.Users == target.users {
		if !s.holding {
			st.ResetTime() // the dwell counts from now
			s.holding = true
		}
		if st.Elapsed > target.dwell {
			s.step++
			s.holding = false
		}
	}
	// The spawn rate does not matter: the users' set-up is what is slow.
	// High means "as fast as you can".
	return herd.ShapeTick{Users: target.users, SpawnRate: 100}, true
}

func newShape() herd.LoadShape {
	return &stepLoad{steps: []step{{10, 10 * time.Second}, {20, 15 * time.Second}, {10, 10 * time.Second}}}
}

func newTest(maxSetUp time.Duration) *herd.Test {
	return &herd.Test{
		Users: []*herd.UserType{{
			Name: "WebsiteUser",
			New:  func() herd.User { return &WebsiteUser{maxSetUp: maxSetUp} },
			Wait: herd.Constant(500 * time.Millisecond),
		}},
		Shape:        newShape(),
		FallbackHost: demo.FallbackHost,
	}
}

func main() { herd.Main(newTest(5 * time.Second)) }
