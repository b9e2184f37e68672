package herd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/herdload/herd"
)

// A quitting listener reads the final statistics: here a custom client's
// 100 timings, 1 ms to 100 ms. Percentile takes a share from 0 to 1, as
// Locust does.
func ExampleStatsEntry_Percentile() {
	test := &herd.Test{Users: []*herd.UserType{{Name: "Timer", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				for i := 1; i <= 100; i++ {
					herd.Record(ctx, herd.Request{Kind: "rpc", Name: "call", Duration: time.Duration(i) * time.Millisecond})
				}
				return herd.ErrStopTest
			}}}
		})
	}}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		for _, e := range q.Stats.Entries {
			fmt.Printf("%s %s: %d requests, median %v, 95th percentile %v, max %v\n", e.Method, e.Name,
				e.Requests, e.Median.Round(time.Millisecond), e.Percentile(0.95).Round(time.Millisecond), e.Max)
		}
	})
	test.Run(context.Background(), herd.Env{Args: []string{"--headless"}, Stdout: io.Discard, Stderr: io.Discard})
	// Output: rpc call: 100 requests, median 50ms, 95th percentile 95ms, max 100ms
}

var errOutOfStock = errors.New("out of stock")

// A UserError is an error: errors.Is sees the task's own error through it.
func ExampleUserError() {
	test := &herd.Test{Users: []*herd.UserType{{Name: "Shopper", New: func() herd.User {
		tries := 0
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Name: "checkout", Run: func(ctx context.Context) error {
				if tries++; tries > 1 {
					return herd.ErrStopTest // once is enough for an example
				}
				return fmt.Errorf("checkout: %w", errOutOfStock)
			}}}
		})
	}}}}
	test.Events.OnUserError(func(e herd.UserError) {
		fmt.Println(e)
		fmt.Println(errors.Is(e, errOutOfStock))
	})
	test.Run(context.Background(), herd.Env{Args: []string{"--headless"}, Stdout: io.Discard, Stderr: io.Discard})
	// Output:
	// Shopper.checkout: checkout: out of stock
	// true
}

// Header gives a response's headers, with every kind of user.
func ExampleResponse_Header() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "r-42")
	}))
	defer srv.Close()
	test := &herd.Test{Users: []*herd.UserType{{Name: "Reader", New: func() herd.User { return new(headerReader) }}}}
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-H", srv.URL}, Stdout: io.Discard, Stderr: io.Discard})
	// Output: X-Request-Id: r-42
}

type headerReader struct{ herd.FastHTTPUser }

func (u *headerReader) Tasks() []herd.Task {
	return []herd.Task{{Run: func(ctx context.Context) error {
		r := u.Client.Get(ctx, "/")
		fmt.Println("X-Request-Id:", r.Header().Get("X-Request-Id"))
		return herd.ErrStopTest
	}}}
}

// A failed status is a *StatusError inside the response's error.
func ExampleStatusError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	defer srv.Close()
	test := &herd.Test{Users: []*herd.UserType{{Name: "Poller", New: func() herd.User { return new(poller) }}}}
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-H", srv.URL}, Stdout: io.Discard, Stderr: io.Discard})
	// Output: 429 Too Many Requests: HTTP 429 Too Many Requests
}

type poller struct{ herd.HTTPUser }

func (u *poller) Tasks() []herd.Task {
	return []herd.Task{{Run: func(ctx context.Context) error {
		var se *herd.StatusError
		if err := u.Client.Get(ctx, "/").Err(); errors.As(err, &se) {
			fmt.Printf("%d %s: %v\n", se.Code, se.Status, se)
		}
		return herd.ErrStopTest
	}}}
}
