package herd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// twoHosts is a user with a second session to another host, made with
// herd.NewSession or herd.NewFastSession.
type twoHosts struct {
	herd.HTTPUser
	api     *herd.Session
	fastAPI *herd.FastSession
	apiHost string
	fast    bool
}

func (u *twoHosts) OnStart(ctx context.Context) error {
	var err error
	if u.fast {
		u.fastAPI, err = herd.NewFastSession(ctx, u.apiHost)
	} else {
		u.api, err = herd.NewSession(ctx, u.apiHost)
	}
	return err
}

func (u *twoHosts) Tasks() []herd.Task {
	return []herd.Task{{Name: "both", Run: func(ctx context.Context) error {
		if err := u.Client.Get(ctx, "/").Err(); err != nil {
			return err
		}
		if u.fast {
			return u.fastAPI.Get(ctx, "/stats/requests").Err()
		}
		// Cookies are the session's own.
		if err := u.api.Post(ctx, "/login", herd.Body{}).Err(); err != nil {
			return err
		}
		return u.api.Get(ctx, "/stats/requests").Err()
	}}}
}

// connCounter counts a server's open connections.
func connCounter(srv *httptest.Server) *atomic.Int64 {
	var open atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	return &open
}

func TestNewSession(t *testing.T) {
	t.Parallel()
	for _, fast := range []bool{false, true} {
		t.Run(fmt.Sprint("fast=", fast), func(t *testing.T) {
			t.Parallel()
			web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := r.Cookie("api"); err == nil {
					http.Error(w, "the api's cookie reached the web host", http.StatusBadRequest)
				}
			}))
			webOpen := connCounter(web)
			web.Start()
			t.Cleanup(web.Close)
			api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/login" {
					http.SetCookie(w, &http.Cookie{Name: "api", Value: "1", Path: "/"})
					return
				}
				if _, err := r.Cookie("api"); err != nil && !fast {
					http.Error(w, "no cookie", http.StatusUnauthorized)
				}
			}))
			open := connCounter(api)
			api.Start()
			t.Cleanup(api.Close)

			test := &herd.Test{Users: []*herd.UserType{{Name: "U", Wait: herd.Constant(5 * time.Millisecond),
				New: func() herd.User { return &twoHosts{apiHost: api.URL, fast: fast} }}}}
			code, out, stderr := runTest(t, context.Background(), test, "--headless", "-u", "3", "-r", "100", "-t", "500ms", "-H", web.URL, "--json", "--only-summary")
			if code != 0 {
				t.Fatalf("exit code %d\n%s\n%s", code, out, stderr)
			}
			for _, name := range []string{`"name": "/"`, `"name": "/stats/requests"`} {
				if !strings.Contains(out, name) {
					t.Errorf("no %s in the report:\n%s", name, out)
				}
			}
			// The sessions were closed with their users: their connections go.
			deadline := time.Now().Add(10 * time.Second)
			for (open.Load() != 0 || webOpen.Load() != 0) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n, m := open.Load(), webOpen.Load(); n != 0 || m != 0 {
				t.Errorf("after the run, %d connections to the second host and %d to the user's own are still open", n, m)
			}
		})
	}
}

func TestNewSessionNeedsAUserAndHTTP(t *testing.T) {
	t.Parallel()
	if _, err := herd.NewSession(context.Background(), "http://127.0.0.1:1"); err == nil {
		t.Error("NewSession outside a user: no error")
	}
	if _, err := herd.NewFastSession(context.Background(), "http://127.0.0.1:1"); err == nil {
		t.Error("NewFastSession outside a user: no error")
	}
	var errs []error
	test := &herd.Test{Users: []*herd.UserType{{Name: "U", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				_, err := herd.NewSession(ctx, "localhost:50051")
				_, ferr := herd.NewFastSession(ctx, "grpc://x:1")
				errs = append(errs, err, ferr)
				return herd.ErrStopTest
			}}}
		})
	}}}}
	if code, _, stderr := runTest(t, context.Background(), test, "--headless", "-t", "30s"); code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	if len(errs) != 2 || errs[0] == nil || errs[1] == nil || !strings.Contains(errs[0].Error(), "not an absolute http:// or https:// URL") {
		t.Errorf("sessions to hosts that are not http(s): %v", errs)
	}
}

// Admin uses the shop through its site and, for its reports, through an
// API on another host, as Locust's multiple_hosts.py does.
type Admin struct {
	herd.HTTPUser
	api     *herd.Session
	apiHost string // from the environment, say
}

func (u *Admin) OnStart(ctx context.Context) error {
	var err error
	u.api, err = herd.NewSession(ctx, u.apiHost) // closed when the user stops
	return err
}

func (u *Admin) Tasks() []herd.Task {
	return []herd.Task{{Name: "report", Run: func(ctx context.Context) error {
		return errors.Join(
			u.Client.Get(ctx, "/").Err(),
			u.api.Get(ctx, "/reports/daily").Err(),
		)
	}}}
}

func ExampleNewSession() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") }))
	defer site.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer api.Close()
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Admin",
		New:  func() herd.User { return &Admin{apiHost: api.URL} },
	}, herd.SingleUser{Host: site.URL, Out: io.Discard, Events: printHosts(site.URL, api.URL)})
	fmt.Println("error:", err)
	// Output:
	// GET / on the site: 200
	// GET /reports/daily on the API: 200
	// error: <nil>
}

// printHosts prints each request's name and which of the two hosts it went to.
func printHosts(site, api string) *herd.Events {
	ev := &herd.Events{}
	ev.OnRequest(func(r herd.Request) {
		where := "the site"
		if strings.HasPrefix(r.URL, api) {
			where = "the API"
		}
		fmt.Printf("%s %s on %s: %d\n", r.Kind, r.Name, where, r.Response.StatusCode)
	})
	return ev
}

// FastAdmin is Admin on fasthttp: a FastHTTPUser whose second session is
// a FastSession.
type FastAdmin struct {
	herd.FastHTTPUser
	api     *herd.FastSession
	apiHost string
}

func (u *FastAdmin) OnStart(ctx context.Context) error {
	var err error
	u.api, err = herd.NewFastSession(ctx, u.apiHost)
	return err
}

func (u *FastAdmin) Tasks() []herd.Task {
	return []herd.Task{{Name: "report", Run: func(ctx context.Context) error {
		if err := u.Client.Get(ctx, "/").Err(); err != nil {
			return err
		}
		return u.api.Get(ctx, "/reports/daily").Err()
	}}}
}

func ExampleNewFastSession() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") }))
	defer site.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer api.Close()
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "FastAdmin",
		New:  func() herd.User { return &FastAdmin{apiHost: api.URL} },
	}, herd.SingleUser{Host: site.URL, Out: io.Discard, Events: printHosts(site.URL, api.URL)})
	fmt.Println("error:", err)
	// Output:
	// GET / on the site: 200
	// GET /reports/daily on the API: 200
	// error: <nil>
}
