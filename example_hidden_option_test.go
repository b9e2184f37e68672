package herd_test

import (
	"context"
	"fmt"

	"github.com/herdload/herd"
)

// A secret is an option like any other, but the web UI neither shows it
// nor lets /swarm change it; HERD_API_TOKEN or --api-token sets it.
func ExampleTestOption_HideFromWebUI() {
	test := &herd.Test{}
	token := test.Options.String("api-token", "", "The API's token").HideFromWebUI()
	test.Users = []*herd.UserType{{Name: "Caller", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				fmt.Println("token of", len(token.Get(ctx)), "bytes")
				return herd.ErrStopTest
			}}}
		})
	}}}
	_, _ = test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "1"},
		Getenv: func(k string) string {
			if k == "HERD_API_TOKEN" {
				return "s3cr3t"
			}
			return ""
		}})
	// Output: token of 6 bytes
}
