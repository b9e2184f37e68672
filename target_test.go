package herd_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// A task reads its user's host and request timeout; outside a user there
// are none.
func TestHostAndTimeoutFrom(t *testing.T) {
	t.Parallel()
	var host string
	var timeout time.Duration
	ut := &herd.UserType{Name: "Reader", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				host, timeout = herd.HostFrom(ctx), herd.RequestTimeoutFrom(ctx)
				return herd.ErrStopTest
			}}}
		})
	}}
	args := []string{"--headless", "-H", "http://127.0.0.1:9", "--request-timeout", "7s"}
	if _, err := (&herd.Test{Users: []*herd.UserType{ut}}).Run(context.Background(), herd.Env{Args: args, Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if host != "http://127.0.0.1:9" || timeout != 7*time.Second {
		t.Errorf("HostFrom %q, RequestTimeoutFrom %v; want the host and 7s", host, timeout)
	}
	if h, d := herd.HostFrom(context.Background()), herd.RequestTimeoutFrom(context.Background()); h != "" || d != 0 {
		t.Errorf("outside a user: %q, %v", h, d)
	}
}

// A client of another protocol gives one request the run's
// --request-timeout and resolves its addresses against the user's
// host.
func ExampleRequestTimeoutFrom() {
	ut := &herd.UserType{Name: "Client", Host: "http://127.0.0.1:8089", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				fmt.Println(herd.HostFrom(ctx), herd.RequestTimeoutFrom(ctx))
				return herd.ErrStopTest
			}}}
		})
	}}
	(&herd.Test{Users: []*herd.UserType{ut}}).Run(context.Background(), herd.Env{Args: []string{"--headless"}, Stdout: io.Discard, Stderr: io.Discard})
	// Output: http://127.0.0.1:8089 1m0s
}
