package herd_test

// Tests of HTTPUser's Session, run through whole in-process herd runs
// against httptest servers on loopback. The cases are shared with
// FastHTTPUser's FastSession (fasthttp_test.go) through htClient.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/failure"
)

// htClient is what Session and FastSession have in common.
type htClient interface {
	Do(ctx context.Context, method, target string, body herd.Body, opts ...herd.Option) *herd.Response
}

// htTask is a test's task: call counts the user's calls from 0, so a task
// can do one step per call; it returns what the task returns.
type htTask func(ctx context.Context, c htClient, h http.Header, call int) error

// htFlavor builds users on one of the two clients.
type htFlavor struct {
	name    string
	newUser func(task htTask) herd.User
}

var (
	htNetHTTP  = htFlavor{"net/http", func(task htTask) herd.User { return &htNetUser{task: task} }}
	htFastHTTP = htFlavor{"fasthttp", func(task htTask) herd.User { return &htFastUser{task: task} }}
	htFlavors  = []htFlavor{htNetHTTP, htFastHTTP}
)

type htNetUser struct {
	herd.HTTPUser
	task  htTask
	calls int
}

func (u *htNetUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "task", Run: func(ctx context.Context) error {
		u.calls++
		return u.task(ctx, u.Client, u.Client.Header, u.calls-1)
	}}}
}

type htFastUser struct {
	herd.FastHTTPUser
	task  htTask
	calls int
}

func (u *htFastUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "task", Run: func(ctx context.Context) error {
		u.calls++
		return u.task(ctx, u.Client, u.Client.Header, u.calls-1)
	}}}
}

// htReport is the part of the --json report the tests read.
type htReport struct {
	Stats    []htEntry `json:"stats"`
	Total    htEntry   `json:"total"`
	Failures []struct {
		Method      string `json:"method"`
		Name        string `json:"name"`
		Error       string `json:"error"`
		Occurrences int64  `json:"occurrences"`
	} `json:"failures"`
	Errors []struct {
		Count     int64  `json:"count"`
		Message   string `json:"message"`
		Traceback string `json:"traceback"`
	} `json:"errors"`
}

type htEntry struct {
	Method           string  `json:"method"`
	Name             string  `json:"name"`
	Requests         int64   `json:"num_requests"`
	Failures         int64   `json:"num_failures"`
	AvgContentLength float64 `json:"avg_content_length"`
	TotalContent     int64   `json:"total_content_length"`
}

func (r *htReport) entry(method, name string) (htEntry, bool) {
	for _, e := range r.Stats {
		if e.Method == method && e.Name == name {
			return e, true
		}
	}
	return htEntry{}, false
}

// failures maps "METHOD name" to its failure messages and occurrences.
func (r *htReport) failures() map[string]map[string]int64 {
	m := map[string]map[string]int64{}
	for _, f := range r.Failures {
		k := f.Method + " " + f.Name
		if m[k] == nil {
			m[k] = map[string]int64{}
		}
		m[k][f.Error] += f.Occurrences
	}
	return m
}

// htResult is what one run gave.
type htResult struct {
	code     int
	report   htReport
	elapsed  time.Duration // for the log only: no test's verdict
	stderr   string
	requests []herd.Request // every recorded request, in order
}

// htRunOpts tune htRun.
type htRunOpts struct {
	users   int           // -u, default 1
	runTime time.Duration // -t, the upper bound; default 10s
	args    []string      // more flags
	wait    herd.WaitTime
}

// htHang is how long after its run time a run may take to end before the
// test calls it hung: a guard against hangs, not a budget.
const htHang = 30 * time.Second

// htRun runs one herd test of flavor's users doing task against host and
// returns its outcome. The run is bounded by o.runTime; tasks normally end
// it sooner with herd.ErrStopTest.
func htRun(t *testing.T, f htFlavor, host string, o htRunOpts, task htTask) htResult {
	t.Helper()
	if o.users == 0 {
		o.users = 1
	}
	if o.runTime == 0 {
		o.runTime = 10 * time.Second
	}
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "U",
		New:  func() herd.User { return f.newUser(task) },
		Wait: o.wait,
	}}}
	var mu sync.Mutex
	var res htResult
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		res.requests = append(res.requests, r)
		mu.Unlock()
	})
	args := append([]string{"--headless", "-u", strconv.Itoa(o.users), "-r", "1000",
		"-t", o.runTime.String(), "-H", host, "--json", "--only-summary"}, o.args...)
	var stdout bytes.Buffer
	stderr := new(syncBuffer) // written by the run's goroutines
	start := time.Now()
	done := make(chan int, 1)
	go func() {
		done <- mainRun(test, context.Background(), herd.Env{Args: args, Stdout: &stdout, Stderr: stderr})
	}()
	select {
	case res.code = <-done:
	case <-time.After(o.runTime + htHang):
		t.Fatalf("the run hangs: not ended %v after its %v run time\nstderr:\n%s", htHang, o.runTime, stderr)
	}
	res.elapsed = time.Since(start)
	res.stderr = stderr.String()
	if err := json.Unmarshal(stdout.Bytes(), &res.report); err != nil {
		t.Fatalf("reading the JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), res.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	return res
}

// htEcho is what the echo handler answers.
type htEcho struct {
	Method      string            `json:"method"`
	URI         string            `json:"uri"`
	Host        string            `json:"host"`
	ContentType string            `json:"content_type"`
	HasCT       bool              `json:"has_content_type"`
	Body        string            `json:"body"`
	Headers     map[string]string `json:"headers"`
}

// htServer serves every endpoint the session tests use.
func htServer(t *testing.T) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e := htEcho{Method: r.Method, URI: r.RequestURI, Host: r.Host, Body: string(body),
			ContentType: r.Header.Get("Content-Type"), Headers: map[string]string{}}
		_, e.HasCT = r.Header["Content-Type"]
		for k := range r.Header {
			e.Headers[k] = strings.Join(r.Header[k], ",")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(e)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/size/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		if r.Method != http.MethodHead {
			w.Write(bytes.Repeat([]byte("x"), n))
		}
	})
	mux.HandleFunc("/chunked/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		piece := 1000
		if n > 1<<20 {
			piece = 64 << 10
		}
		for n > 0 {
			k := min(n, piece)
			w.Write(bytes.Repeat([]byte("y"), k))
			w.(http.Flusher).Flush() // no Content-Length: chunked
			n -= k
		}
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: r.FormValue("user"), Path: "/"})
		io.WriteString(w, "welcome "+r.FormValue("user"))
	})
	mux.HandleFunc("POST /login-redirect", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: r.FormValue("user"), Path: "/"})
		http.Redirect(w, r, "/whoami", http.StatusSeeOther)
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil {
			io.WriteString(w, c.Value)
		}
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n > 0 {
			http.Redirect(w, r, "/redirect/"+strconv.Itoa(n-1), http.StatusFound)
			return
		}
		io.WriteString(w, "landed")
	})
	mux.HandleFunc("/redirect307", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo-after-307", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.FormValue("d"))
		select {
		case <-time.After(d):
			io.WriteString(w, "slept")
		case <-r.Context().Done():
		case <-done:
		}
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Resp", "v")
		w.Header().Add("X-Multi", "1")
		w.Header().Add("X-Multi", "2")
		io.WriteString(w, `{"a":1,"b":"two"}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "héllo, wörld")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: frees /slow handlers
	return srv
}

// htStop ends a task: the last of n users to finish stops the test, the
// others stop themselves.
func htStop(finished *atomic.Int32, n int) error {
	if int(finished.Add(1)) == n {
		return herd.ErrStopTest
	}
	return herd.ErrStopUser
}

func htEchoOf(t *testing.T, r *herd.Response) htEcho {
	t.Helper()
	var e htEcho
	if err := r.JSON(&e); err != nil {
		t.Errorf("echo: %v (status %d, err %v)", err, r.StatusCode, r.Err())
	}
	return e
}

// htWantRequestError checks that err is a recorded failure.
func htWantRequestError(t *testing.T, err error, kind, name string) *herd.RequestError {
	t.Helper()
	var re *herd.RequestError
	if !errors.As(err, &re) {
		t.Errorf("Err() = %T %v, want a *herd.RequestError", err, err)
		return nil
	}
	if re.Kind != kind || re.Name != name {
		t.Errorf("RequestError for %s %s, want %s %s", re.Kind, re.Name, kind, name)
	}
	return re
}

// htCase is one shared session test.
type htCase struct {
	name string
	opts htRunOpts
	// hostPath is appended to the server's URL for -H.
	hostPath string
	task     func(t *testing.T, srv *httptest.Server) htTask
	check    func(t *testing.T, srv *httptest.Server, res htResult)
}

var htCases = []htCase{
	{
		name: "URLs and default names",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for _, tc := range []struct{ target, uri string }{
					{"/items?id=1&x=y", "/items?id=1&x=y"},
					{"items", "/items"},
					{"", "/"},
					{"/frag#part", "/frag"},
					{srv.URL + "/abs/path?q=2", "/abs/path?q=2"},
					{strings.Replace(srv.URL, "http://", "HTTP://", 1) + "/upper", "/upper"},
				} {
					r := c.Do(ctx, http.MethodGet, tc.target, herd.Body{})
					if err := r.Err(); err != nil {
						t.Errorf("GET %q: %v", tc.target, err)
						continue
					}
					if e := htEchoOf(t, r); e.URI != tc.uri {
						t.Errorf("GET %q reached %q, want %q", tc.target, e.URI, tc.uri)
					}
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			var names []string
			for _, r := range res.requests {
				names = append(names, r.Name)
			}
			want := []string{"/items?id=1&x=y", "/items", "/", "/frag", "/abs/path?q=2", "/upper"}
			if !slices.Equal(names, want) {
				t.Errorf("names %q, want %q", names, want)
			}
			for _, n := range want {
				if e, ok := res.report.entry("GET", n); !ok || e.Requests != 1 {
					t.Errorf("stats row GET %s: %+v, %v", n, e, ok)
				}
			}
		},
	},
	{
		name:     "base URL with a path",
		hostPath: "/api/",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for _, target := range []string{"/users?page=2", "users"} {
					r := c.Do(ctx, http.MethodGet, target, herd.Body{})
					if e := htEchoOf(t, r); !strings.HasPrefix(e.URI, "/api/users") {
						t.Errorf("GET %q reached %q", target, e.URI)
					}
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			for _, n := range []string{"/api/users?page=2", "/api/users"} {
				if _, ok := res.report.entry("GET", n); !ok {
					t.Errorf("no stats row GET %s in %+v", n, res.report.Stats)
				}
			}
		},
	},
	{
		name: "Name groups requests",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for id := range 3 {
					r := c.Do(ctx, http.MethodGet, fmt.Sprintf("/product/%d", id), herd.Body{}, herd.Name("/product/{id}"))
					if r.Err() != nil {
						t.Error(r.Err())
					}
				}
				c.Do(ctx, http.MethodPost, "/product/9", herd.JSON(1), herd.Name("/product/{id}"))
				r := c.Do(ctx, http.MethodGet, "/status/404", herd.Body{}, herd.Name("missing"))
				htWantRequestError(t, r.Err(), "GET", "missing")
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if e, ok := res.report.entry("GET", "/product/{id}"); !ok || e.Requests != 3 {
				t.Errorf("GET /product/{id}: %+v", e)
			}
			if e, ok := res.report.entry("POST", "/product/{id}"); !ok || e.Requests != 1 {
				t.Errorf("POST /product/{id}: %+v", e)
			}
			if got := res.report.failures()["GET missing"]; got["HTTP 404 Not Found"] != 1 {
				t.Errorf("failures of GET missing: %v", got)
			}
			if len(res.report.Stats) != 3 {
				t.Errorf("%d stats rows, want 3: %+v", len(res.report.Stats), res.report.Stats)
			}
		},
	},
	{
		name: "bodies and content types",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for _, tc := range []struct {
					method   string
					body     herd.Body
					ct, data string
					hasCT    bool
				}{
					{"POST", herd.JSON(map[string]any{"sku": "A-1", "n": 2}), "application/json", `{"n":2,"sku":"A-1"}`, true},
					{"PUT", herd.Form(url.Values{"a": {"1"}, "b": {"x y"}}), "application/x-www-form-urlencoded", "a=1&b=x+y", true},
					{"PATCH", herd.Raw("text/plain; charset=utf-8", []byte("héllo")), "text/plain; charset=utf-8", "héllo", true},
					{"POST", herd.Raw("", []byte("no type")), "", "no type", false},
					{"DELETE", herd.Body{}, "", "", false},
					{"GET", herd.Body{}, "", "", false},
				} {
					r := c.Do(ctx, tc.method, "/echo", tc.body)
					if r.Err() != nil {
						t.Errorf("%s: %v", tc.method, r.Err())
						continue
					}
					e := htEchoOf(t, r)
					if e.Method != tc.method || e.ContentType != tc.ct || e.HasCT != tc.hasCT || e.Body != tc.data {
						t.Errorf("%s %q sent %+v", tc.method, tc.data, e)
					}
				}
				// A body that cannot be encoded is the task's error: nothing
				// is sent or recorded.
				r := c.Do(ctx, "POST", "/echo", herd.JSON(func() {}))
				var re *herd.RequestError
				if err := r.Err(); err == nil || errors.As(err, &re) || r.OK() || !strings.Contains(err.Error(), "herd.JSON") {
					t.Errorf("unencodable JSON: Err() = %v, OK %v", err, r.OK())
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if len(res.requests) != 6 {
				t.Errorf("%d requests recorded, want 6", len(res.requests))
			}
			if res.code != herd.ExitOK {
				t.Errorf("exit code %d", res.code)
			}
		},
	},
	{
		name: "default and per-request headers",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, h http.Header, _ int) error {
				h.Set("X-Default", "d")
				h.Set("X-Both", "session")
				h.Set("Authorization", "Bearer t0k3n")
				e := htEchoOf(t, c.Do(ctx, "GET", "/echo", herd.Body{}, herd.Header("X-Both", "request"), herd.Header("X-Extra", "e")))
				if e.Headers["X-Default"] != "d" || e.Headers["X-Both"] != "request" || e.Headers["X-Extra"] != "e" ||
					e.Headers["Authorization"] != "Bearer t0k3n" {
					t.Errorf("first request's headers: %v", e.Headers)
				}
				e = htEchoOf(t, c.Do(ctx, "GET", "/echo", herd.Body{}))
				if e.Headers["X-Both"] != "session" || e.Headers["X-Extra"] != "" {
					t.Errorf("second request's headers: %v", e.Headers)
				}
				// The session's Content-Type wins over the body's; the
				// request's wins over both.
				h.Set("Content-Type", "application/vnd.test+json")
				e = htEchoOf(t, c.Do(ctx, "POST", "/echo", herd.JSON(1)))
				if e.ContentType != "application/vnd.test+json" {
					t.Errorf("session Content-Type: %q", e.ContentType)
				}
				e = htEchoOf(t, c.Do(ctx, "POST", "/echo", herd.JSON(1), herd.Header("Content-Type", "text/x-mine")))
				if e.ContentType != "text/x-mine" {
					t.Errorf("request Content-Type: %q", e.ContentType)
				}
				h.Del("Content-Type")
				e = htEchoOf(t, c.Do(ctx, "GET", "/echo", herd.Body{}, herd.Header("Host", "shop.example")))
				if e.Host != "shop.example" {
					t.Errorf("Host header sent as %q", e.Host)
				}
				return herd.ErrStopTest
			}
		},
	},
	{
		name: "cookies are kept per user and not shared",
		opts: htRunOpts{users: 2},
		task: func(t *testing.T, srv *httptest.Server) htTask {
			var next atomic.Int32
			var finished atomic.Int32
			firstIn := make(chan struct{})  // user 1 logged in
			secondIn := make(chan struct{}) // user 2 checked and logged in
			wait := func(ctx context.Context, ch chan struct{}) bool {
				select {
				case <-ch:
					return true
				case <-ctx.Done():
					t.Error("gave up waiting for the other user")
					return false
				}
			}
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				me := next.Add(1)
				who := func() string { return c.Do(ctx, "GET", "/whoami", herd.Body{}).Text() }
				switch me {
				case 1:
					if got := who(); got != "" {
						t.Errorf("user 1 has cookie %q before logging in", got)
					}
					c.Do(ctx, "GET", "/login?user=alice", herd.Body{})
					if got := who(); got != "alice" {
						t.Errorf("user 1 after login: %q", got)
					}
					close(firstIn)
					if !wait(ctx, secondIn) {
						return herd.ErrStopTest
					}
					if got := who(); got != "alice" {
						t.Errorf("user 1 after user 2 logged in: %q", got)
					}
				case 2:
					if !wait(ctx, firstIn) {
						return herd.ErrStopTest
					}
					if got := who(); got != "" {
						t.Errorf("user 2 got user 1's cookie: %q", got)
					}
					r := c.Do(ctx, "POST", "/login", herd.Form(url.Values{"user": {"bob"}}))
					if r.Text() != "welcome bob" {
						t.Errorf("login: %q", r.Text())
					}
					if got := who(); got != "bob" {
						t.Errorf("user 2 after login: %q", got)
					}
					close(secondIn)
				default:
					t.Errorf("user %d", me)
				}
				return htStop(&finished, 2)
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if res.code != herd.ExitOK {
				t.Errorf("exit code %d", res.code)
			}
		},
	},
	{
		name: "a failing status is a failure counted once",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, call int) error {
				switch call {
				case 0:
					r := c.Do(ctx, "GET", "/status/500", herd.Body{})
					if r.OK() || r.StatusCode != 500 || r.Text() != "status 500" {
						t.Errorf("500: OK %v, status %d, body %q", r.OK(), r.StatusCode, r.Text())
					}
					r = c.Do(ctx, "GET", "/status/404", herd.Body{})
					if r.OK() || r.StatusCode != 404 {
						t.Errorf("404: OK %v, status %d", r.OK(), r.StatusCode)
					}
					err := r.Err()
					htWantRequestError(t, err, "GET", "/status/404")
					var se *herd.StatusError
					if !errors.As(err, &se) || se.Code != 404 || err.Error() != "GET /status/404: HTTP 404 Not Found" {
						t.Errorf("Err() = %v", err)
					}
					if c.Do(ctx, "GET", "/status/399", herd.Body{}).Err() != nil {
						t.Error("a 399 failed")
					}
					return err // already counted: not a task error
				default:
					return herd.ErrStopTest
				}
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			f := res.report.failures()
			if f["GET /status/404"]["HTTP 404 Not Found"] != 1 || f["GET /status/500"]["HTTP 500 Internal Server Error"] != 1 || len(f) != 2 {
				t.Errorf("failures: %v", f)
			}
			if len(res.report.Errors) != 0 {
				t.Errorf("the returned RequestError was counted again: %+v", res.report.Errors)
			}
			if res.report.Total.Failures != 2 || res.report.Total.Requests != 3 {
				t.Errorf("total %+v", res.report.Total)
			}
			if res.code != herd.ExitFailures {
				t.Errorf("exit code %d, want %d", res.code, herd.ExitFailures)
			}
			var errs int
			for _, r := range res.requests {
				if r.Err != nil {
					errs++
				}
			}
			if errs != 2 {
				t.Errorf("%d requests with Err seen by OnRequest, want 2", errs)
			}
		},
	},
	{
		name: "Check adds to the status rule, Accept lets a status through",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			dead := "http://" + htClosedAddr(t) + "/dead"
			return func(ctx context.Context, c htClient, _ http.Header, call int) error {
				if call > 0 {
					return herd.ErrStopTest
				}
				gone := herd.Check(func(r *herd.Response) error {
					if r.StatusCode == 404 && string(r.Body) == "status 404" {
						return nil // gone is fine here
					}
					return fmt.Errorf("unexpected %d", r.StatusCode)
				})
				r := c.Do(ctx, "GET", "/status/404", herd.Body{}, gone, herd.Accept(http.StatusNotFound))
				if !r.OK() || r.Err() != nil || r.StatusCode != 404 {
					t.Errorf("accepted 404: OK %v, Err %v", r.OK(), r.Err())
				}
				// Without Accept the check decides nothing: the status fails.
				r = c.Do(ctx, "GET", "/status/404", herd.Body{}, gone, herd.Name("/status/404 unaccepted"))
				var se *herd.StatusError
				if r.OK() || !errors.As(r.Err(), &se) || se.Code != 404 {
					t.Errorf("404 without Accept: OK %v, Err %v", r.OK(), r.Err())
				}
				// Accept() accepts every status; the check may still fail one.
				r = c.Do(ctx, "GET", "/status/503", herd.Body{}, herd.Accept(), herd.Check(func(r *herd.Response) error {
					return fmt.Errorf("saw %d", r.StatusCode)
				}))
				var ue *failure.UserError
				if r.OK() || !errors.As(r.Err(), &ue) {
					t.Errorf("503 accepted, then checked: OK %v, Err %v", r.OK(), r.Err())
				}
				r = c.Do(ctx, "GET", "/json", herd.Body{}, herd.Check(func(r *herd.Response) error {
					var v struct{ Price *int }
					if r.JSON(&v) != nil || v.Price == nil {
						return errors.New("price missing")
					}
					return nil
				}))
				if err := r.Err(); r.OK() || r.StatusCode != 200 || !errors.As(err, &ue) || err.Error() != "GET /json: price missing" {
					t.Errorf("rejected 200: OK %v, Err %v", r.OK(), err)
				}
				called := false
				r = c.Do(ctx, "GET", dead, herd.Body{}, herd.Check(func(*herd.Response) error { called = true; return nil }))
				if called || r.OK() {
					t.Errorf("Check called after a transport failure (OK %v, Err %v)", r.OK(), r.Err())
				}
				return r.Err()
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			f := res.report.failures()
			if len(f["GET /status/404"]) != 0 || f["GET /status/404 unaccepted"]["HTTP 404 Not Found"] != 1 ||
				f["GET /status/503"]["saw 503"] != 1 ||
				f["GET /json"]["price missing"] != 1 || f["GET /dead"]["connect: connection refused"] != 1 {
				t.Errorf("failures: %v", f)
			}
			if len(res.report.Errors) != 0 {
				t.Errorf("errors: %+v", res.report.Errors)
			}
		},
	},
	{
		name: "body sizes",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				for _, tc := range []struct {
					method, target string
					size           int64
				}{
					{"GET", "/size/1234", 1234},
					{"GET", "/size/0", 0},
					{"GET", "/chunked/5500", 5500},
					{"HEAD", "/size/1048576", 0}, // Content-Length announced, no body
				} {
					r := c.Do(ctx, tc.method, tc.target, herd.Body{})
					if r.Err() != nil || r.Size != tc.size || int64(len(r.Body)) != tc.size {
						t.Errorf("%s %s: Err %v, Size %d, %d bytes; want %d", tc.method, tc.target, r.Err(), r.Size, len(r.Body), tc.size)
					}
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			for _, tc := range []struct {
				method, name string
				size         float64
			}{{"GET", "/size/1234", 1234}, {"GET", "/chunked/5500", 5500}, {"HEAD", "/size/1048576", 0}} {
				if e, _ := res.report.entry(tc.method, tc.name); e.AvgContentLength != tc.size || e.Requests != 1 {
					t.Errorf("%s %s: %+v", tc.method, tc.name, e)
				}
			}
			var sizes []int64
			for _, r := range res.requests {
				sizes = append(sizes, r.Size)
			}
			if !slices.Equal(sizes, []int64{1234, 0, 5500, 0}) {
				t.Errorf("OnRequest sizes %v", sizes)
			}
		},
	},
	{
		name: "redirects are followed",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				r := c.Do(ctx, "GET", "/redirect/3", herd.Body{})
				if r.Err() != nil || r.StatusCode != 200 || r.Text() != "landed" {
					t.Errorf("redirect chain: Err %v, status %d, body %q", r.Err(), r.StatusCode, r.Text())
				}
				// A cookie set by the redirecting response is kept and
				// sent to the target; the 303 turns the POST into a GET.
				r = c.Do(ctx, "POST", "/login-redirect", herd.Form(url.Values{"user": {"carol"}}))
				if r.Err() != nil || r.Text() != "carol" {
					t.Errorf("login redirect: Err %v, body %q", r.Err(), r.Text())
				}
				// 307 keeps the method and the body.
				e := htEchoOf(t, c.Do(ctx, "PUT", "/redirect307", herd.Raw("text/plain", []byte("payload"))))
				if e.Method != "PUT" || e.Body != "payload" || e.URI != "/echo-after-307" {
					t.Errorf("307: %+v", e)
				}
				r = c.Do(ctx, "GET", "/loop", herd.Body{})
				if r.OK() {
					t.Error("a redirect loop succeeded")
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			var names []string
			for _, r := range res.requests {
				names = append(names, r.Kind+" "+r.Name)
			}
			want := []string{"GET /redirect/3", "POST /login-redirect", "PUT /redirect307", "GET /loop"}
			if !slices.Equal(names, want) {
				t.Errorf("recorded %q, want %q", names, want)
			}
			if f := res.report.failures(); len(f) != 1 || f["GET /loop"]["stopped after 10 redirects"] != 1 {
				t.Errorf("failures: %v", f)
			}
		},
	},
	// The timeouts below cut requests to /slow?d=1m, which answers after a
	// minute, longer than the 10 s run: only a timeout ends such a request
	// with a timeout failure (at the run's end it would be killed, and
	// counted "interrupted at stop").
	{
		name: "Timeout per request",
		// A --request-timeout longer than the run: only the option's
		// 50 ms can cut the request.
		opts: htRunOpts{args: []string{"--request-timeout", "1h"}},
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				r := c.Do(ctx, "GET", "/slow?d=1m", herd.Body{}, herd.Timeout(50*time.Millisecond))
				if r.OK() || r.Duration < 40*time.Millisecond {
					t.Errorf("short Timeout: OK %v, Duration %v", r.OK(), r.Duration)
				}
				htWantRequestError(t, r.Err(), "GET", "/slow?d=1m")
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if f := res.report.failures(); htTimeouts(f, "GET /slow?d=1m") != 1 || len(f) != 1 {
				t.Errorf("failures: %v", f)
			}
		},
	},
	{
		name: "--request-timeout, and a longer Timeout lifts it",
		opts: htRunOpts{args: []string{"--request-timeout", "200ms"}},
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				// --request-timeout applies without the option...
				r := c.Do(ctx, "GET", "/slow?d=1m", herd.Body{}, herd.Name("default"))
				if r.OK() || r.Duration < 150*time.Millisecond {
					t.Errorf("--request-timeout: OK %v, Duration %v", r.OK(), r.Duration)
				}
				// ...and a longer Timeout lifts it.
				r = c.Do(ctx, "GET", "/slow?d=400ms", herd.Body{}, herd.Timeout(10*time.Second), herd.Name("long"))
				if !r.OK() || r.Text() != "slept" {
					t.Errorf("long Timeout: Err %v", r.Err())
				}
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if f := res.report.failures(); htTimeouts(f, "GET default") != 1 || len(f) != 1 {
				t.Errorf("failures: %v", f)
			}
		},
	},
	{
		name: "a cancelled context sends nothing and fails",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				r := c.Do(cctx, "GET", "/echo", herd.Body{})
				if r.OK() || !errors.Is(r.Err(), context.Canceled) {
					t.Errorf("cancelled: OK %v, Err %v", r.OK(), r.Err())
				}
				htWantRequestError(t, r.Err(), "GET", "/echo")
				return herd.ErrStopTest
			}
		},
		check: func(t *testing.T, _ *httptest.Server, res htResult) {
			if f := res.report.failures(); f["GET /echo"]["context canceled"] != 1 {
				t.Errorf("failures: %v", f)
			}
		},
	},
	{
		name: "Response JSON, Text and Headers",
		task: func(t *testing.T, srv *httptest.Server) htTask {
			return func(ctx context.Context, c htClient, _ http.Header, _ int) error {
				r := c.Do(ctx, "GET", "/json", herd.Body{})
				var v struct {
					A int    `json:"a"`
					B string `json:"b"`
				}
				if err := r.JSON(&v); err != nil || v.A != 1 || v.B != "two" {
					t.Errorf("JSON: %+v, %v", v, err)
				}
				if r.Text() != `{"a":1,"b":"two"}` {
					t.Errorf("Text: %q", r.Text())
				}
				h := r.Header()
				if h.Get("X-Resp") != "v" || h.Get("Content-Type") != "application/json" || !slices.Equal(h.Values("X-Multi"), []string{"1", "2"}) {
					t.Errorf("Header: %v", h)
				}
				if r.Header().Get("X-Resp") != "v" {
					t.Error("Header changed on a second call")
				}
				r = c.Do(ctx, "GET", "/text", herd.Body{})
				if r.Text() != "héllo, wörld" {
					t.Errorf("Text: %q", r.Text())
				}
				err := r.JSON(&v)
				if err == nil || !strings.Contains(err.Error(), "GET /text") {
					t.Errorf("JSON of text: %v", err)
				}
				return herd.ErrStopTest
			}
		},
	},
}

// htTimeouts is how many of key's failures are timeouts, and whether they
// are all its failures: a request cut by its timeout reads "no complete
// response" once connected, "could not connect" when the timeout ran out
// in the dial (on a starved machine even a loopback dial can take that
// long). Either way the request's timeout, not the run's end, cut it.
func htTimeouts(f map[string]map[string]int64, key string) int64 {
	n := f[key]["timeout: no complete response within the request timeout"] +
		f[key]["timeout: could not connect within the request timeout"]
	var all int64
	for _, c := range f[key] {
		all += c
	}
	if n != all {
		return -1
	}
	return n
}

// htRunCases runs every shared case on one flavor.
func htRunCases(t *testing.T, f htFlavor) {
	for _, tc := range htCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := htServer(t)
			res := htRun(t, f, srv.URL+tc.hostPath, tc.opts, tc.task(t, srv))
			// Every case's task ends the run: not its 10 s run time.
			if !strings.Contains(res.stderr, `reason="a task stopped the test"`) {
				t.Errorf("the run did not end by its task's ErrStopTest")
			}
			if tc.check != nil {
				tc.check(t, srv, res)
			}
			if t.Failed() {
				t.Logf("report: %+v\nstderr:\n%s", res.report, res.stderr)
			}
		})
	}
}

func TestSession(t *testing.T) {
	t.Parallel()
	htRunCases(t, htNetHTTP)
}

// htClosedAddr is a loopback address nothing listens on.
func htClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestSessionConcurrentUse shares one Session between goroutines of a task,
// which HTTPUser allows.
func TestSessionConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := htServer(t)
	res := htRun(t, htNetHTTP, srv.URL, htRunOpts{}, func(ctx context.Context, c htClient, h http.Header, _ int) error {
		h.Set("X-Default", "d")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 10 {
					r := c.Do(ctx, "GET", fmt.Sprintf("/size/%d", i*10+j), herd.Body{}, herd.Name("/size/{n}"))
					if r.Err() != nil || r.Size != int64(i*10+j) {
						t.Errorf("concurrent GET: %v, size %d", r.Err(), r.Size)
					}
				}
			})
		}
		wg.Wait()
		return herd.ErrStopTest
	})
	if e, _ := res.report.entry("GET", "/size/{n}"); e.Requests != 80 || e.Failures != 0 {
		t.Errorf("stats: %+v", e)
	}
}
