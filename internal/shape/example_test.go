package shape_test

import (
	"fmt"
	"time"

	"github.com/herdload/herd/internal/shape"
)

// A load shape is asked for its target about once a second; the runner
// ramps toward the target at the spawn rate.
func ExampleParse() {
	s, err := shape.Parse("stages:30s:100,2m:100,30s:0")
	if err != nil {
		panic(err)
	}
	for _, at := range []time.Duration{0, 30 * time.Second, 150 * time.Second, 180 * time.Second} {
		step, ok := s.At(at)
		fmt.Printf("%v: %d users at %.2f/s, running %t\n", at, step.Users, step.SpawnRate, ok)
	}
	fmt.Println("total", s.Total())
	// Output:
	// 0s: 100 users at 3.33/s, running true
	// 30s: 100 users at 3.33/s, running true
	// 2m30s: 0 users at 3.33/s, running true
	// 3m0s: 0 users at 0.00/s, running false
	// total 3m0s
}

// An arrival-rate executor starts iteration k at its intended instant
// TimeOf(k), however fast the target answers.
func ExampleParseRate() {
	r, err := shape.ParseRate("stages:10s:10,10s:10")
	if err != nil {
		panic(err)
	}
	fmt.Println("rate at 5s:", r.At(5*time.Second))
	fmt.Println("iterations by 20s:", r.Count(20*time.Second))
	at, _ := r.TimeOf(50)
	fmt.Println("iteration 50 is due at", at)
	// Output:
	// rate at 5s: 5
	// iterations by 20s: 150
	// iteration 50 is due at 10s
}

// Each of three workers takes every third arrival of the same schedule;
// together they start exactly the target rate.
func ExampleArrivals_Share() {
	r, err := shape.ParseRate("4/s")
	if err != nil {
		panic(err)
	}
	for i := range 3 {
		share, err := shape.NewArrivals(r, false, 0).Share(i, 3)
		if err != nil {
			panic(err)
		}
		var starts []time.Duration
		for range 3 {
			at, _ := share.Next()
			starts = append(starts, at)
		}
		fmt.Println("worker", i, starts)
	}
	// Output:
	// worker 0 [0s 750ms 1.5s]
	// worker 1 [250ms 1s 1.75s]
	// worker 2 [500ms 1.25s 2s]
}
