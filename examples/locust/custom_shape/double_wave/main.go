// Command double_wave is Locust's custom_shape/double_wave.py in herd: a
// load shape with two peaks, at a third and two thirds of its ten minutes
// (meal times). Without -H it tests herd's built-in demo shop:
//
//	go run ./examples/locust/custom_shape/double_wave --headless
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

// doubleWave is Locust's DoubleWave: minUsers, rising to peakOne users at
// a third of timeLimit and to peakTwo at two thirds, ending at timeLimit.
type doubleWave struct {
	minUsers, peakOne, peakTwo float64
	timeLimit                  float64 // seconds
}

func (s doubleWave) Tick(st *herd.ShapeState) (herd.ShapeTick, bool) {
	// Python's round() rounds halves to even: so does the port, so that
	// both ask for the same counts at the same seconds.
	runTime := math.RoundToEven(st.Elapsed.Seconds())
	if runTime >= s.timeLimit {
		return herd.ShapeTick{}, false
	}
	width := s.timeLimit / 10 * 2 / 3
	users := (s.peakOne-s.minUsers)*math.Exp(-math.Pow(runTime/width-5, 2)) +
		(s.peakTwo-s.minUsers)*math.Exp(-math.Pow(runTime/width-10, 2)) + s.minUsers
	n := math.RoundToEven(users)
	return herd.ShapeTick{Users: int(n), SpawnRate: n}, true
}

func newShape() herd.LoadShape {
	return doubleWave{minUsers: 20, peakOne: 60, peakTwo: 40, timeLimit: 600}
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
