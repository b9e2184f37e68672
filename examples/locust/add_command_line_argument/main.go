// Command add_command_line_argument is Locust's add_command_line_argument.py
// in herd: the test declares its own options, which --help lists under
// "Test options" and the flag, HERD_MY_ARGUMENT, the config file's
// my-argument key or the web UI's start form (field my_argument) set; a
// test-start listener and every user's task read them. The second option
// is hidden from the web UI's start form.
//
//	go run ./examples/locust/add_command_line_argument --headless -u 1 -t 10s --my-argument hello
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/herdload/herd"
)

// newTest is the test; out receives what the listener and the task print.
func newTest(out io.Writer) *herd.Test {
	test := &herd.Test{}
	myArgument := test.Options.String("my-argument", "", "It's working")
	// Hidden from the web UI (include_in_web_ui=False): still a flag, an
	// environment variable and a config key, and sent to workers.
	invisible := test.Options.String("my-ui-invisible-argument", "I am invisible", "").HideFromWebUI()

	test.Events.OnTestStart(func(ctx context.Context) error {
		fmt.Fprintf(out, "Custom argument supplied: %s\n", myArgument.Get(ctx))
		return nil
	})
	test.Users = []*herd.UserType{{
		Name: "WebsiteUser",
		Wait: herd.Constant(time.Second),
		New: func() herd.User {
			return herd.TaskList(func() []herd.Task {
				return []herd.Task{{Name: "my_task", Run: func(ctx context.Context) error {
					fmt.Fprintf(out, "my_argument=%s\n", myArgument.Get(ctx))
					fmt.Fprintf(out, "my_ui_invisible_argument=%s\n", invisible.Get(ctx))
					return nil
				}}}
			})
		},
	}}
	return test
}

func main() { herd.Main(newTest(os.Stdout)) }
