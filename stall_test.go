package herd_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// stallServer counts every request it received, at arrival; /hang never
// answers (until the test ends), /slow answers after 30 ms, the rest at
// once.
type stallServer struct {
	mu       sync.Mutex
	received map[string]uint64
	release  chan struct{}
}

func newStallServer(t *testing.T) (*stallServer, string) {
	s := &stallServer{received: map[string]uint64{}, release: make(chan struct{})}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { close(s.release); ts.Close() })
	return s, ts.URL
}

func (s *stallServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.received[r.Method+" "+r.URL.Path]++
	s.mu.Unlock()
	var wait <-chan time.Time
	switch r.URL.Path {
	case "/hang":
	case "/slow":
		wait = time.After(30 * time.Millisecond)
	default:
		w.Write([]byte("ok"))
		return
	}
	select {
	case <-wait:
		w.Write([]byte("ok"))
	case <-s.release:
	case <-r.Context().Done():
	}
}

type stallUser struct {
	herd.FastHTTPUser
	paths []string
}

func (u *stallUser) Tasks() []herd.Task {
	tasks := make([]herd.Task, len(u.paths))
	for i, p := range u.paths {
		tasks[i] = herd.Task{Name: p, Run: func(ctx context.Context) error { return u.Client.Get(ctx, p).Err() }}
	}
	return tasks
}

// TestStalledTargetFailsTheRun is the stalled target: an endpoint
// that never answers shows its requests (as many as the target received),
// all failed as interrupted at the stop, and fails the run; a healthy run
// cut at its end by the run time passes, its requests in flight counted too.
func TestStalledTargetFailsTheRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		paths []string
		code  int
	}{
		{"one endpoint hangs", []string{"/ok", "/hang"}, herd.ExitFailures},
		{"healthy, cut at the end", []string{"/slow"}, herd.ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, url := newStallServer(t)
			test := &herd.Test{Users: []*herd.UserType{{Name: "U", New: func() herd.User { return &stallUser{paths: tc.paths} }}}}
			code, out, errOut := runTest(t, context.Background(), test,
				"--headless", "-u", "6", "-r", "100", "-t", "1s", "-H", url, "--json", "--only-summary")
			if code != tc.code {
				t.Errorf("exit code %d, want %d\n%s", code, tc.code, errOut)
			}
			var rep struct {
				Stats []struct {
					Method      string `json:"method"`
					Name        string `json:"name"`
					Requests    uint64 `json:"num_requests"`
					Failures    uint64 `json:"num_failures"`
					Interrupted uint64 `json:"num_interrupted"`
				} `json:"stats"`
				Failures []struct {
					Name  string `json:"name"`
					Error string `json:"error"`
				} `json:"failures"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			received := func(key string) uint64 {
				srv.mu.Lock()
				defer srv.mu.Unlock()
				return srv.received[key]
			}
			var interrupted uint64
			for _, e := range rep.Stats {
				// herd counts a request cut at the stop once any of it left;
				// the target may read it after the run returned.
				key := e.Method + " " + e.Name
				poll(t, "the target to read every request herd sent", func() bool { return received(key) >= e.Requests })
				if got := received(key); e.Requests != got {
					t.Errorf("%s: herd counted %d, the target received %d", key, e.Requests, got)
				}
				if e.Failures != e.Interrupted {
					t.Errorf("%s %s: %d failures, %d interrupted", e.Method, e.Name, e.Failures, e.Interrupted)
				}
				if e.Name == "/hang" && (e.Interrupted == 0 || e.Interrupted != e.Requests) {
					t.Errorf("/hang: %d requests, %d interrupted", e.Requests, e.Interrupted)
				}
				interrupted += e.Interrupted
			}
			if tc.code != herd.ExitOK && interrupted == 0 { // /hang holds one per user
				t.Error("no request was in flight at the stop")
			}
			for _, f := range rep.Failures {
				if f.Error != "interrupted at stop: no response" {
					t.Errorf("failure %q on %s", f.Error, f.Name)
				}
			}
		})
	}
}
