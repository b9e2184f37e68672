// Command test_data_management is Locust's test_data_management.py in
// herd: the places to fetch test data before or outside the tasks, each
// printing its step as it runs (1 to 10), in Locust's order. It tests
// postman-echo.com (whose /post echoes the data) unless -H names another
// echo:
//
//	go run ./examples/locust/test_data_management --headless -u 2 -t 5s
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/herdload/herd"
)

// host is the test's target without -H.
const host = "https://postman-echo.com"

// timestring is Locust's (month, seconds and tenths: "%m:%S.%f"[:-5]).
func timestring() string { return time.Now().Format("01:05.0") }

// echo posts data to base's /post with a plain client (not recorded, as
// Locust's requests.post) and returns what it echoed.
func echo(ctx context.Context, base, data string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/post", bytes.NewBufferString(data))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Data string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("%s/post: %w", base, err)
	}
	return out.Data, nil
}

// testData is the data fetched once per process and once per test, and
// where from.
type testData struct {
	mu              sync.Mutex
	base            string
	global, testRun string
}

func (d *testData) get() (global, testRun string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.global, d.testRun
}

// MyUser fetches its own data when it starts, and fresh data in each task.
type MyUser struct {
	herd.HTTPUser
	out  io.Writer
	data *testData
	mine string // user-specific test data
}

func (u *MyUser) OnStart(ctx context.Context) error {
	fmt.Fprintln(u.out, "4. A user was started")
	// A good place to fetch user-specific test data, once per user. This
	// request is recorded; one with net/http directly would not be.
	var mine struct {
		Data string `json:"data"`
	}
	err := u.Client.Post(ctx, "/post", herd.Raw("text/plain", []byte("user-specific_"+timestring()))).JSON(&mine)
	u.mine = mine.Data
	return err
}

func (u *MyUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "t", Run: func(ctx context.Context) error {
		global, testRun := u.data.get()
		u.Client.Get(ctx, "/get?"+global)
		u.Client.Get(ctx, "/get?"+testRun)
		u.Client.Get(ctx, "/get?"+u.mine)

		fmt.Fprintln(u.out, "5. Getting task-run-specific testdata")
		// If every iteration needs new test data, this is the usual way.
		var task struct {
			Data string `json:"data"`
		}
		if err := u.Client.Post(ctx, "/post", herd.Raw("text/plain", []byte("task_run_specific_testdata_"+timestring()))).JSON(&task); err != nil {
			return err
		}
		return u.Client.Get(ctx, "/get?"+task.Data).Err()
	}}}
}

func (u *MyUser) OnStop(context.Context) error {
	// A good place to release the user's test data.
	fmt.Fprintln(u.out, "7. a user was stopped")
	return nil
}

// newTest is the test, printing its steps to out.
func newTest(out io.Writer) *herd.Test {
	fmt.Fprintln(out, "1. Building the test, happens before anything else")
	data := new(testData)
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "MyUser",
		Host: host,
		New:  func() herd.User { return &MyUser{out: out, data: data} },
		Wait: herd.Constant(180 * time.Second), // be nice to postman-echo
	}}}
	e := &test.Events
	e.OnInit(func(ctx context.Context, info *herd.RunInfo) error {
		fmt.Fprintln(out, "2. Initializing, happens after building the test but before test start")
		// Data for the whole process: Locust fetches it while it parses
		// the locustfile; here the run's host is known.
		base := cmp.Or(info.Host, host)
		global, err := echo(ctx, base, "global_test_data_"+timestring())
		data.mu.Lock()
		data.base, data.global = base, global
		data.mu.Unlock()
		return err
	})
	e.OnQuitting(func(*herd.Quit) { fmt.Fprintln(out, "9. herd is shutting down") })
	e.OnTestStart(func(ctx context.Context) error {
		// Once in a headless run, at each start in the web UI.
		fmt.Fprintln(out, "3. Starting test run")
		// In a distributed run, the master does not need test data.
		if herd.NodeFrom(ctx).Role() == herd.Master {
			return nil
		}
		data.mu.Lock()
		base := data.base
		data.mu.Unlock()
		testRun, err := echo(ctx, base, "test-run-specific_"+timestring())
		data.mu.Lock()
		data.testRun = testRun
		data.mu.Unlock()
		return err
	})
	e.OnTestStopping(func(context.Context) { fmt.Fprintln(out, "6. stopping test run") })
	e.OnTestStop(func(context.Context) { fmt.Fprintln(out, "8. test run stopped") })
	return test
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	res, err := newTest(os.Stdout).Execute(ctx, herd.ProcessEnv())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	fmt.Printf("10. herd has shut down with code %d\n", res.ExitCode)
	os.Exit(res.ExitCode)
}
