package herd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/herdload/herd"
)

// transportServer answers /direct, /via-do, /fail (500), /redirect (to
// /target), /target and /big (1,000 bytes).
func transportServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	for _, p := range []string{"/direct", "/via-do", "/target", "/sdk/items/"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	}
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat("x", 1000)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runReport runs test once with args and returns its JSON report and the
// requests its listener saw.
func runReport(t *testing.T, test *herd.Test, args ...string) (htReport, []herd.Request) {
	t.Helper()
	var mu sync.Mutex
	var seen []herd.Request
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	})
	code, out, stderr := runTest(t, context.Background(), test, append([]string{"--headless", "-t", "30s", "--json", "--only-summary"}, args...)...)
	if code != 0 && code != herd.ExitFailures {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	var rep htReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	return rep, seen
}

// get sends a GET through c and reads n bytes of the body (all when n < 0)
// before closing it.
func get(t *testing.T, ctx context.Context, c *http.Client, url string, n int64) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Error(err)
		return
	}
	res, err := c.Do(req)
	if err != nil {
		return
	}
	if n < 0 {
		io.Copy(io.Discard, res.Body)
	} else {
		io.CopyN(io.Discard, res.Body, n)
	}
	res.Body.Close()
}

func TestSessionHTTPIsRecorded(t *testing.T) {
	t.Parallel()
	srv := transportServer(t)
	test := &herd.Test{Users: []*herd.UserType{{Name: "U", New: func() herd.User {
		u := new(funcHTTPUser)
		u.run = func(ctx context.Context) error {
			c := u.Client.HTTP
			get(t, ctx, c, srv.URL+"/direct?id=7", -1)
			get(t, ctx, c, srv.URL+"/fail", -1)
			get(t, ctx, c, srv.URL+"/redirect", -1) // two requests, each recorded
			get(t, ctx, c, srv.URL+"/big", 10)      // closed after 10 bytes
			get(t, ctx, c, "http://"+htClosedAddr(t)+"/refused", -1)
			u.Client.Get(ctx, "/via-do")
			u.Client.Get(ctx, "/redirect", herd.Name("/redirect via Do")) // one request, as Do records it
			return herd.ErrStopTest
		}
		return u
	}}}}
	rep, seen := runReport(t, test, "-H", srv.URL)
	want := map[string][2]int64{ // name: requests, failures
		"/direct": {1, 0}, "/fail": {1, 1}, "/redirect": {1, 0}, "/target": {1, 0}, "/big": {1, 0},
		"/refused": {1, 1}, "/via-do": {1, 0}, "/redirect via Do": {1, 0},
	}
	for _, e := range rep.Stats {
		w, ok := want[e.Name]
		if !ok {
			t.Errorf("unexpected entry %s %s", e.Method, e.Name)
			continue
		}
		if e.Method != "GET" || e.Requests != w[0] || e.Failures != w[1] {
			t.Errorf("%s %s: %d requests, %d failures; want %d, %d", e.Method, e.Name, e.Requests, e.Failures, w[0], w[1])
		}
		delete(want, e.Name)
	}
	if len(want) != 0 {
		t.Errorf("missing entries: %v", want)
	}
	if f := rep.failures(); f["GET /fail"]["HTTP 500 Internal Server Error"] != 1 || f["GET /refused"]["connect: connection refused"] != 1 {
		t.Errorf("failures: %v", f)
	}
	for _, r := range seen {
		switch r.Name {
		case "/big":
			if r.Size != 10 {
				t.Errorf("/big closed after 10 bytes: size %d", r.Size)
			}
		case "/direct":
			if r.Size != 5 || r.URL != srv.URL+"/direct?id=7" || r.Response == nil || r.Response.StatusCode != 200 ||
				r.Response.Header().Get("Content-Type") == "" || herd.HostFrom(r.Context) != srv.URL {
				t.Errorf("/direct: %+v", r)
			}
		}
	}
}

// funcHTTPUser is an HTTP user with one task, run, and an optional OnStart.
type funcHTTPUser struct {
	herd.HTTPUser
	start func(ctx context.Context) error
	run   func(ctx context.Context) error
}

func (u *funcHTTPUser) OnStart(ctx context.Context) error {
	if u.start == nil {
		return nil
	}
	return u.start(ctx)
}

func (u *funcHTTPUser) Tasks() []herd.Task { return []herd.Task{{Name: "run", Run: u.run}} }

// countingTransport counts the requests it sends.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestSessionHTTPTransportReplaced(t *testing.T) {
	t.Parallel()
	srv := transportServer(t)
	for _, how := range []string{"Transport", "client", "herd.NewTransport"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			var mine countingTransport
			test := &herd.Test{Users: []*herd.UserType{{Name: "U", New: func() herd.User {
				u := new(funcHTTPUser)
				u.start = func(ctx context.Context) error {
					switch how {
					case "Transport":
						u.Client.HTTP.Transport = &mine
					case "client":
						u.Client.HTTP = &http.Client{Transport: &mine}
					default:
						u.Client.HTTP.Transport = herd.NewTransport(ctx, &mine)
					}
					return nil
				}
				u.run = func(ctx context.Context) error {
					u.Client.Get(ctx, "/via-do")
					get(t, ctx, u.Client.HTTP, srv.URL+"/direct", -1)
					u.Client.Get(ctx, "/via-do")
					get(t, ctx, u.Client.HTTP, srv.URL+"/direct", -1)
					return herd.ErrStopTest
				}
				return u
			}}}}
			rep, _ := runReport(t, test, "-H", srv.URL)
			for _, name := range []string{"/via-do", "/direct"} {
				if e, _ := rep.entry("GET", name); e.Requests != 2 {
					t.Errorf("GET %s recorded %d times, want 2", name, e.Requests)
				}
			}
			if n := mine.n.Load(); n != 4 {
				t.Errorf("the user's transport sent %d requests, want 4", n)
			}
		})
	}
}

func TestTransportForSDKs(t *testing.T) {
	t.Parallel()
	srv := transportServer(t)
	test := &herd.Test{Users: []*herd.UserType{{Name: "Plain", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				// An SDK that makes its own contexts: the user is NewTransport's.
				sdk := &http.Client{Transport: herd.NewTransport(ctx, nil)}
				get(t, context.Background(), sdk, srv.URL+"/sdk/items/1", -1)
				// Named by a function of the user's.
				named := &herd.Transport{Name: func(r *http.Request) string { return "/sdk/items/{id}" }}
				get(t, ctx, &http.Client{Transport: named}, srv.URL+"/sdk/items/2", -1)
				get(t, ctx, &http.Client{Transport: named}, srv.URL+"/sdk/items/3", -1)
				// No user at all: sent, not recorded.
				get(t, context.Background(), &http.Client{Transport: &herd.Transport{}}, srv.URL+"/direct", -1)
				return herd.ErrStopTest
			}}}
		})
	}}}}
	rep, _ := runReport(t, test)
	got := map[string]int64{}
	for _, e := range rep.Stats {
		got[e.Method+" "+e.Name] = e.Requests
	}
	if want := map[string]int64{"GET /sdk/items/1": 1, "GET /sdk/items/{id}": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries %v, want %v", got, want)
	}
}

// ShopSDK stands for a third-party client library built on net/http.
type ShopSDK struct {
	base string
	http *http.Client
}

func (s *ShopSDK) Item(ctx context.Context, id int) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/items/%d", s.base, id), nil)
	res, err := s.http.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// SDKBuyer drives the shop through its SDK, whose calls are timed and
// recorded by the Transport under it.
type SDKBuyer struct{ shop *ShopSDK }

func (u *SDKBuyer) OnStart(ctx context.Context) error {
	u.shop = &ShopSDK{base: herd.HostFrom(ctx), http: &http.Client{
		Transport: &herd.Transport{
			// The path has an id: group the items in one row.
			Name: func(r *http.Request) string { return "/items/{id}" },
		},
	}}
	return nil
}

func (u *SDKBuyer) Tasks() []herd.Task {
	return []herd.Task{{Name: "item", Run: func(ctx context.Context) error {
		_, err := u.shop.Item(ctx, 42) // ctx is the user's: the call is recorded for it
		return err
	}}}
}

func ExampleTransport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "an item") }))
	defer srv.Close()

	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "SDKBuyer",
		New:  func() herd.User { return new(SDKBuyer) },
	}, herd.SingleUser{Host: srv.URL, Iterations: 2, Out: io.Discard, Events: printSizes()})
	fmt.Println("error:", err)
	// Output:
	// GET /items/{id}: 200, 7 bytes
	// GET /items/{id}: 200, 7 bytes
	// error: <nil>
}

func printSizes() *herd.Events {
	ev := &herd.Events{}
	ev.OnRequest(func(r herd.Request) {
		fmt.Printf("%s %s: %d, %d bytes\n", r.Kind, r.Name, r.Response.StatusCode, r.Size)
	})
	return ev
}

// LegacySDK makes its own contexts, so its requests carry no user: the
// Transport from NewTransport records them for the user it was made for.
type LegacySDK struct{ http *http.Client }

func (s *LegacySDK) Ping(base string) error {
	res, err := s.http.Get(base + "/ping") // context.Background inside
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	return res.Body.Close()
}

func ExampleNewTransport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	defer srv.Close()

	var sdk *LegacySDK
	user := herd.TaskList(func() []herd.Task {
		return []herd.Task{{Name: "ping", Run: func(ctx context.Context) error {
			if sdk == nil { // once per user, as in OnStart
				sdk = &LegacySDK{http: &http.Client{Transport: herd.NewTransport(ctx, http.DefaultTransport)}}
			}
			return sdk.Ping(herd.HostFrom(ctx))
		}}}
	})
	err := herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Legacy",
		New:  func() herd.User { return user },
	}, herd.SingleUser{Host: srv.URL, Iterations: 2, Out: io.Discard, Events: printSizes()})
	fmt.Println("error:", err)
	// Output:
	// GET /ping: 200, 4 bytes
	// GET /ping: 200, 4 bytes
	// error: <nil>
}

// A protocol switch (a WebSocket handshake) through a recording Transport
// reaches its client as net/http returns it, the upgraded connection as a
// writable body, and is not recorded: the new protocol's client times its
// own connect.
func TestTransportLeavesUpgradesToTheirClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "echo")
		w.WriteHeader(http.StatusSwitchingProtocols)
	}))
	t.Cleanup(srv.Close)
	var writable atomic.Bool
	test := &herd.Test{Users: []*herd.UserType{{Name: "Upgrader", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/socket", nil)
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "echo")
				res, err := (&http.Client{Transport: herd.NewTransport(ctx, nil)}).Do(req)
				if err != nil {
					return err
				}
				_, ok := res.Body.(io.ReadWriteCloser)
				writable.Store(ok)
				res.Body.Close()
				return herd.ErrStopTest
			}}}
		})
	}}}}
	rep, _ := runReport(t, test)
	if !writable.Load() {
		t.Error("the upgraded connection is not an io.ReadWriteCloser: the Transport wrapped it")
	}
	for _, e := range rep.Stats {
		if e.Name == "/socket" {
			t.Errorf("the handshake was recorded: %+v", e)
		}
	}
}
