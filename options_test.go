package herd_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// optionTest is a test with its own options whose one user records, on
// each pass, the values its task reads.
type optionTest struct {
	test  *herd.Test
	name  *herd.TestOption[string]
	batch *herd.TestOption[int]
	think *herd.TestOption[time.Duration]
	mu    sync.Mutex
	seen  map[herd.Role]string
}

func newOptionTest() *optionTest {
	o := &optionTest{test: &herd.Test{}, seen: map[herd.Role]string{}}
	o.name = o.test.Options.String("my-argument", "x", "Only used by the test")
	o.batch = o.test.Options.Int("batch", 5, "Items per batch")
	o.think = o.test.Options.Duration("think", time.Second, "Pause between steps")
	o.test.Users = []*herd.UserType{{Name: "Reader", Wait: herd.Constant(100 * time.Millisecond), New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				byName, _ := herd.OptionFrom(ctx, "my-argument")
				got := o.name.Get(ctx) + " " + byName + " " + strconv.Itoa(o.batch.Get(ctx)) + " " + o.think.Get(ctx).String()
				o.mu.Lock()
				o.seen[herd.NodeFrom(ctx).Role()] = got
				o.mu.Unlock()
				return nil
			}}}
		})
	}}}
	return o
}

func (o *optionTest) seenBy(r herd.Role) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[r]
}

// TestOptionLayers: a test's own options are set by Test.Defaults, the
// config file, the environment and the flags, and tasks read them.
func TestOptionLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		defaults []string
		file     string
		env      map[string]string
		args     []string
		want     string
	}{
		{name: "declared", want: "x x 5 1s"},
		{name: "test defaults", defaults: []string{"--batch", "6"}, want: "x x 6 1s"},
		{name: "file", defaults: []string{"--batch", "6"}, file: "my_argument = f\nthink = 2\n", want: "f f 6 2s"},
		{name: "env", file: "my-argument = f\n", env: map[string]string{"HERD_MY_ARGUMENT": "e", "HERD_BATCH": "7"}, want: "e e 7 1s"},
		{name: "flag", env: map[string]string{"HERD_MY_ARGUMENT": "e"}, args: []string{"--my-argument", "cli", "--think=3m"}, want: "cli cli 5 3m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--headless", "-u", "1", "-r", "1", "-t", "1s"}, tt.args...)
			if tt.file != "" {
				path := filepath.Join(t.TempDir(), "herd.conf")
				if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			synctest.Test(t, func(t *testing.T) {
				o := newOptionTest()
				o.test.Defaults = tt.defaults
				res, err := o.test.Execute(context.Background(), herd.Env{Args: args, Getenv: func(k string) string { return tt.env[k] }})
				if err != nil || res.ExitCode != herd.ExitOK {
					t.Fatalf("Execute = %+v, %v", res, err)
				}
				if got := o.seenBy(herd.Standalone); got != tt.want {
					t.Errorf("the task read %q, want %q", got, tt.want)
				}
			})
		})
	}
}

func TestOptionBadValue(t *testing.T) {
	t.Parallel()
	o := newOptionTest()
	res, err := o.test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "--batch", "many"}})
	if res.ExitCode != herd.ExitConfig || err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("Execute = %+v, %v; want exit code 2 naming batch", res, err)
	}
	o.test.Options.Int("users", 1, "clashes with -u")
	res, err = o.test.Execute(context.Background(), herd.Env{Args: []string{"--headless"}})
	if res.ExitCode != herd.ExitConfig || err == nil || !strings.Contains(err.Error(), `"users"`) {
		t.Errorf("Execute = %+v, %v; want exit code 2 naming users", res, err)
	}
}

func TestOptionHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := newOptionTest().test.Execute(context.Background(), herd.Env{Stdout: &out, Args: []string{"--help"}})
	if err != nil || res.ExitCode != herd.ExitOK {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	want := "\nTest options:\n      --my-argument string    Only used by the test (default x)\n" +
		"      --batch int             Items per batch (default 5)\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("--help lacks\n%s\ngot:\n%s", want, out.String())
	}
}

// TestOptionReachesWorkers: the master's values go to every worker with
// its spawn, whatever the worker's own.
func TestOptionReachesWorkers(t *testing.T) {
	t.Parallel()
	o := newOptionTest()
	runCluster(t, o.test, 1, "-u", "1", "-r", "100", "-t", "2s", "--only-summary",
		"--my-argument", "from-master", "--think", "90")
	if got, want := o.seenBy(herd.Worker), "from-master from-master 5 1m30s"; got != want {
		t.Errorf("the worker read %q, want %q", got, want)
	}
}

func TestOptionOutsideRun(t *testing.T) {
	t.Parallel()
	o := newOptionTest()
	if got := o.batch.Get(context.Background()); got != 5 {
		t.Errorf("Get outside a run = %d, want the default 5", got)
	}
	if v, ok := herd.OptionFrom(context.Background(), "batch"); ok {
		t.Errorf("OptionFrom outside a run = %q, true", v)
	}
	if o.batch.Name() != "batch" {
		t.Errorf("Name = %q", o.batch.Name())
	}
}

// TestOptionFromStartForm: the web UI's /swarm sets the test's options as
// Locust's form does (field my_argument), and /api/state lists them.
func TestOptionFromStartForm(t *testing.T) {
	t.Parallel()
	o := newOptionTest()
	base, stop, stderr := startUI(t, o.test, "--batch", "9")
	var state struct {
		Extra []struct {
			Name, Flag, Value, Type string
		} `json:"extra_options"`
	}
	getJSON(t, base+"api/state", &state)
	if len(state.Extra) != 3 || state.Extra[0].Name != "my_argument" || state.Extra[1].Value != "9" || state.Extra[2].Type != "duration" {
		t.Fatalf("extra_options = %+v", state.Extra)
	}
	resp, err := http.PostForm(base+"swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}, "batch": {"many"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad option value: %s, want 400", resp.Status)
	}
	resp, err = http.PostForm(base+"swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}, "my_argument": {"from-form"}, "think": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("swarm: %s", resp.Status)
	}
	poll(t, "the task to read the form's values", func() bool { return o.seenBy(herd.Standalone) == "from-form from-form 9 5s" })
	if code := stop(); code != 0 {
		t.Errorf("exit code %d\n%s", code, stderr.String())
	}
}
