package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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

var uiURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/\S*)`)

// The web UI's start form offers my_argument alone, as Locust's does.
func TestWebUIShowsTheVisibleArgument(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	logs := new(porttest.Buffer)
	done := make(chan struct{})
	go func() {
		defer close(done)
		newTest(logs).Run(ctx, herd.Env{Stdout: logs, Stderr: logs, Args: []string{"--web-host", "127.0.0.1", "-P", "0"}})
	}()
	defer func() { cancel(); <-done }()
	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil; time.Sleep(20 * time.Millisecond) {
		if m = uiURL.FindStringSubmatch(logs.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("no web UI:\n%s", logs)
		}
	}
	resp, err := http.Get(m[1] + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state struct {
		Extra []struct{ Name string } `json:"extra_options"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	if len(state.Extra) != 1 || state.Extra[0].Name != "my_argument" {
		t.Errorf("the start form's options: %+v, want my_argument alone", state.Extra)
	}
}
