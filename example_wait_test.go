package herd_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/herdload/herd"
)

// A task that pauses within itself, as Locust's time.sleep in a task:
// herd.Sleep ends early when the user is killed at the stop.
func ExampleSleep() {
	task := func(ctx context.Context) error {
		for page := 1; page <= 3; page++ {
			fmt.Println("reading page", page)
			if err := herd.Sleep(ctx, 10*time.Millisecond); err != nil {
				return err // the user was killed: the task ends here
			}
		}
		return nil
	}
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Reader",
		New: func() herd.User {
			return herd.TaskList(func() []herd.Task { return []herd.Task{{Name: "read", Run: task}} })
		},
	}, herd.SingleUser{Out: io.Discard})
	fmt.Println("error:", err)
	// Output:
	// reading page 1
	// reading page 2
	// reading page 3
	// error: <nil>
}

// herd.Wait pauses for the user's own wait time on purpose, as Locust's
// self.wait(): here between the two halves of a task.
func ExampleWait() {
	task := func(ctx context.Context) error {
		start := time.Now()
		if err := herd.Wait(ctx); err != nil {
			return err // the user is stopping
		}
		fmt.Println("waited at least 20ms:", time.Since(start) >= 20*time.Millisecond)
		return nil
	}
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Thinker",
		Wait: herd.Constant(20 * time.Millisecond),
		New: func() herd.User {
			return herd.TaskList(func() []herd.Task { return []herd.Task{{Name: "think", Run: task}} })
		},
	}, herd.SingleUser{Out: io.Discard})
	fmt.Println("error:", err)
	// Output:
	// waited at least 20ms: true
	// error: <nil>
}

// Patient waits longer after each task: a wait time that needs the user's
// own state is its WaitTime method (Locust's wait_time method).
type Patient struct{ waited time.Duration }

func (u *Patient) WaitTime(elapsed time.Duration) time.Duration {
	u.waited += 10 * time.Millisecond
	return u.waited
}

func (u *Patient) Tasks() []herd.Task {
	return []herd.Task{{Name: "visit", Run: func(ctx context.Context) error {
		fmt.Println("visit after", u.waited)
		return nil
	}}}
}

func ExampleWaitTime_userMethod() {
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Patient",
		Wait: herd.Constant(time.Hour), // the user's method wins
		New:  func() herd.User { return new(Patient) },
	}, herd.SingleUser{Iterations: 3, Out: io.Discard})
	fmt.Println("error:", err)
	// Output:
	// visit after 0s
	// visit after 10ms
	// visit after 20ms
	// error: <nil>
}

// An exponential wait with a mean of 1 s, as Locust's
// custom_wait_function.py: any function of the elapsed time is a WaitTime.
func ExampleWaitTime() {
	exponential := herd.WaitTime(func(time.Duration) time.Duration {
		return time.Duration(rand.ExpFloat64() * float64(time.Second))
	})
	fmt.Println(exponential(0) >= 0)
	// Output:
	// true
}
