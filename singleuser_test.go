package herd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// goroutineID is the id of the calling goroutine, from its stack's header.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return strings.Fields(string(buf))[1]
}

// debugged is an HTTP user whose tasks note their goroutine.
type debugged struct {
	herd.HTTPUser
	order   *[]string
	started bool
}

func (u *debugged) OnStart(ctx context.Context) error {
	u.started = true
	return u.Client.Get(ctx, "/login").Err()
}

func (u *debugged) OnStop(context.Context) error {
	*u.order = append(*u.order, "OnStop")
	return nil
}

func (u *debugged) step(name string, run func(ctx context.Context) error) herd.Task {
	return herd.Task{Name: name, Weight: 5, Run: func(ctx context.Context) error {
		*u.order = append(*u.order, name+"@"+goroutineID())
		return run(ctx)
	}}
}

func (u *debugged) Tasks() []herd.Task {
	return []herd.Task{
		u.step("a", func(ctx context.Context) error { return u.Client.Get(ctx, "/a").Err() }),
		{Name: "set", Set: &herd.TaskSet{
			OnStart: func(context.Context) error { *u.order = append(*u.order, "set.OnStart"); return nil },
			OnStop:  func(context.Context) error { *u.order = append(*u.order, "set.OnStop"); return nil },
			Tasks: []herd.Task{
				u.step("b", func(ctx context.Context) error { return u.Client.Get(ctx, "/missing").Err() }),
				u.step("c", func(context.Context) error { return errors.New("c went wrong") }),
			}}},
		u.step("d", func(ctx context.Context) error { return u.Client.Post(ctx, "/d", herd.JSON(1)).Err() }),
	}
}

func singleServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRunSingleUserOnePass(t *testing.T) {
	t.Parallel()
	srv := singleServer(t)
	var order []string
	var out bytes.Buffer
	ut := &herd.UserType{Name: "Debugged", Wait: herd.Constant(time.Millisecond),
		New: func() herd.User { return &debugged{order: &order} }}
	err := herd.RunSingleUser(context.Background(), ut, herd.SingleUser{Host: srv.URL, Out: &out})
	if err == nil || err.Error() != "1 of 4 requests failed, 1 errors in user code" {
		t.Errorf("error %v", err)
	}
	me := goroutineID()
	want := []string{"a@" + me, "set.OnStart", "b@" + me, "c@" + me, "set.OnStop", "d@" + me, "OnStop"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("ran %v, want %v (one pass, in order, on the caller's goroutine)", order, want)
	}
	base := regexp.QuoteMeta(srv.URL)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	patterns := []string{
		`^GET ` + base + `/login 200 [0-9.]+[µm]?s 5B$`,
		`^GET ` + base + `/a 200 [0-9.]+[µm]?s 5B$`,
		`^GET ` + base + `/missing 404 [0-9.]+[µm]?s 19B FAILED: HTTP 404 Not Found$`,
		`^ERROR in Debugged.c: c went wrong$`,
		`^POST ` + base + `/d 200 [0-9.]+[µm]?s 5B$`,
	}
	if len(lines) != len(patterns) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(patterns), out.String())
	}
	for i, p := range patterns {
		if !regexp.MustCompile(p).MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], p)
		}
	}
}

func TestRunSingleUserIterations(t *testing.T) {
	t.Parallel()
	srv := singleServer(t)
	var order []string
	var requests int
	ev := &herd.Events{}
	ev.OnRequest(func(herd.Request) { requests++ })
	ut := &herd.UserType{Name: "Debugged", New: func() herd.User { return &debugged{order: &order} }}
	herd.RunSingleUser(context.Background(), ut, herd.SingleUser{Host: srv.URL, Iterations: 30, Out: io.Discard, Events: ev})
	tasks := 0
	for _, o := range order {
		if strings.Contains(o, "@") {
			tasks++
		}
	}
	if tasks != 30 {
		t.Errorf("%d tasks ran, want 30: %v", tasks, order)
	}
	if requests < 10 { // the login, and a request in most tasks
		t.Errorf("the test's request listener saw %d requests", requests)
	}
}

func TestRunSingleUserEnds(t *testing.T) {
	t.Parallel()
	var ran []string
	task := func(name string, err error) herd.Task {
		return herd.Task{Name: name, Run: func(context.Context) error { ran = append(ran, name); return err }}
	}
	user := func(onStart error, tasks ...herd.Task) *herd.UserType {
		return &herd.UserType{Name: "U", New: func() herd.User {
			return &hookUser{tasks: tasks, onStart: onStart, ran: &ran}
		}}
	}
	tests := []struct {
		name    string
		ut      *herd.UserType
		o       herd.SingleUser
		want    []string
		wantErr string
	}{
		{"ErrStopUser", user(nil, task("a", nil), task("stop", herd.ErrStopUser), task("b", nil)), herd.SingleUser{},
			[]string{"OnStart", "a", "stop", "OnStop"}, ""},
		{"ErrStopTest", user(nil, task("stop", herd.ErrStopTest)), herd.SingleUser{Iterations: 10},
			[]string{"OnStart", "stop", "OnStop"}, ""},
		{"a failing OnStart", user(errors.New("no login"), task("a", nil)), herd.SingleUser{},
			[]string{"OnStart"}, "0 of 0 requests failed, 1 errors in user code"},
		{"OnStart stopping the user", user(herd.ErrStopUser, task("a", nil)), herd.SingleUser{},
			[]string{"OnStart", "OnStop"}, ""},
		{"an HTTP user without a host", &herd.UserType{Name: "H", New: func() herd.User { return new(pinger) }}, herd.SingleUser{},
			nil, "user type H is an HTTP user and has no host"},
		{"an HTTP user with a gRPC host", &herd.UserType{Name: "H", New: func() herd.User { return new(pinger) }}, herd.SingleUser{Host: "localhost:50051"},
			nil, `its host "localhost:50051" is not an absolute http:// or https:// URL`},
		{"no New", &herd.UserType{Name: "N"}, herd.SingleUser{}, nil, "no New function"},
	}
	for _, tt := range tests {
		ran = nil
		tt.o.Out = io.Discard
		err := herd.RunSingleUser(context.Background(), tt.ut, tt.o)
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
		if fmt.Sprint(ran) != fmt.Sprint(tt.want) {
			t.Errorf("%s: ran %v, want %v", tt.name, ran, tt.want)
		}
	}
	// A cancelled context kills the user in its wait.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	ran = nil
	ut := user(nil, task("a", nil))
	ut.Wait = herd.Constant(time.Hour)
	herd.RunSingleUser(ctx, ut, herd.SingleUser{Iterations: 5, Out: io.Discard})
	if fmt.Sprint(ran) != "[OnStart a OnStop]" {
		t.Errorf("cancelled in the wait: ran %v", ran)
	}
}

// hookUser notes its hooks and tasks in ran.
type hookUser struct {
	tasks   []herd.Task
	onStart error
	ran     *[]string
}

func (u *hookUser) Tasks() []herd.Task { return u.tasks }

func (u *hookUser) OnStart(context.Context) error {
	*u.ran = append(*u.ran, "OnStart")
	return u.onStart
}

func (u *hookUser) OnStop(context.Context) error {
	*u.ran = append(*u.ran, "OnStop")
	return nil
}

// Greeter says hello, then fetches a page that is not there.
type Greeter struct{ herd.HTTPUser }

func (u *Greeter) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "hello", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/hello").Err() // a breakpoint here stops in this goroutine
		}},
		{Name: "gone", Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/gone").Err()
		}},
	}
}

// Debugging a user type: one user, one pass over its tasks, a line for
// each request. A program would call it from main, under a debugger
// (dlv debug ./loadtest), with Out left to os.Stderr.
func ExampleRunSingleUser() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "hello!")
	}))
	defer srv.Close()

	var out bytes.Buffer
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Greeter",
		New:  func() herd.User { return new(Greeter) },
	}, herd.SingleUser{Host: srv.URL, Out: &out})

	// The lines hold the target's address and the response times: hide them.
	lines := strings.ReplaceAll(out.String(), srv.URL, "http://target")
	fmt.Print(regexp.MustCompile(` [0-9.]+[µm]?s `).ReplaceAllString(lines, " 1ms "))
	fmt.Println("error:", err)
	// Output:
	// GET http://target/hello 200 1ms 6B
	// GET http://target/gone 404 1ms 19B FAILED: HTTP 404 Not Found
	// error: 1 of 2 requests failed, 0 errors in user code
}
