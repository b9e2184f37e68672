package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// The flag and the environment reach the test-start listener and the task,
// as Locust's parsed_options do.
func TestArgumentsReachListenerAndTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "flag", args: []string{"--my-argument", "hello"}, want: "hello"},
		{name: "environment", env: map[string]string{"HERD_MY_ARGUMENT": "from-env"}, want: "from-env"},
		{name: "default", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var out porttest.Buffer
				args := append([]string{"--headless", "-u", "1", "-r", "1", "-t", "2500ms"}, tt.args...)
				res, err := newTest(&out).Execute(context.Background(), herd.Env{Args: args, Getenv: func(k string) string { return tt.env[k] }})
				if err != nil || res.ExitCode != 0 {
					t.Fatalf("Execute = %+v, %v", res, err)
				}
				want := "Custom argument supplied: " + tt.want + "\n" +
					strings.Repeat("my_argument="+tt.want+"\nmy_ui_invisible_argument=I am invisible\n", 3)
				if got := out.String(); got != want {
					t.Errorf("printed\n%s\nwant\n%s", got, want)
				}
			})
		})
	}
}

func TestHelpListsTheArguments(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if _, err := newTest(&out).Execute(context.Background(), herd.Env{Stdout: &out, Args: []string{"--help"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nTest options:\n", "--my-argument string    It's working\n",
		"--my-ui-invisible-argument string\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}
