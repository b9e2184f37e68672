package herd_test

import (
	"context"
	"fmt"

	"github.com/herdload/herd"
)

// A test declares its own options; --help lists them, and --batch 20,
// HERD_BATCH=20 or "batch = 20" in the config file set them. Tasks read
// them from their context.
func ExampleOptions() {
	test := &herd.Test{}
	batch := test.Options.Int("batch", 10, "Items per request")
	test.Users = []*herd.UserType{{Name: "Loader", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				fmt.Println("batch of", batch.Get(ctx))
				return herd.ErrStopTest
			}}}
		})
	}}}
	_, _ = test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "1", "--batch", "20"}})
	// Output: batch of 20
}
