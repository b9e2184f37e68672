package herd

// Requests in flight when their user is killed at the stop: counted, as
// failures "interrupted at stop", for every client; and the kill does not
// wait for their answer.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/stats"
)

// stallServer answers paths under /ok/ at once and holds every other
// request until released (or until the client goes away), counting what it
// received per path.
type stallServer struct {
	*httptest.Server
	release func() // idempotent

	mu  sync.Mutex
	got map[string]int
}

func newStallServer(t *testing.T) *stallServer {
	t.Helper()
	s := &stallServer{got: map[string]int{}}
	released := make(chan struct{})
	var once sync.Once
	s.release = func() { once.Do(func() { close(released) }) }
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got[r.URL.Path]++
		s.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/ok/") {
			io.WriteString(w, "ok")
			return
		}
		select {
		case <-released:
			io.WriteString(w, "late")
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.release) // runs first: frees the handlers Close waits for
	return s
}

func (s *stallServer) received(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[path]
}

// stallCalls is how often each stalling task calls: after the first call,
// interrupted by the kill, the others find the user killed and send nothing.
const stallCalls = 3

type stallFastUser struct {
	FastHTTPUser
	path string
	sub  bool // call with a sub-context of the task's
}

func (u *stallFastUser) Tasks() []Task {
	return []Task{{Name: "stall", Run: func(ctx context.Context) error {
		if u.sub {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
		}
		for range stallCalls {
			u.Client.Get(ctx, u.path)
		}
		return nil
	}}}
}

func (u *stallFastUser) OnStop(ctx context.Context) error {
	return u.Client.Get(ctx, "/ok"+u.path).Err()
}

type stallStdUser struct{ HTTPUser }

func (u *stallStdUser) Tasks() []Task {
	return []Task{{Name: "stall", Run: func(ctx context.Context) error {
		for range stallCalls {
			u.Client.Get(ctx, "/std")
		}
		return nil
	}}}
}

func (u *stallStdUser) OnStop(ctx context.Context) error {
	return u.Client.Get(ctx, "/ok/std").Err()
}

// stallCustomUser is a custom client: net/http requests timed with Time.
type stallCustomUser struct {
	base   string
	client *http.Client
}

func (u *stallCustomUser) get(ctx context.Context, path string) error {
	return Time(ctx, "custom", path, func(ctx context.Context) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.base+path, nil)
		if err != nil {
			return 0, err
		}
		resp, err := u.client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return io.Copy(io.Discard, resp.Body)
	})
}

func (u *stallCustomUser) Tasks() []Task {
	return []Task{{Name: "stall", Run: func(ctx context.Context) error {
		for range stallCalls {
			u.get(ctx, "/custom")
		}
		return nil
	}}}
}

func (u *stallCustomUser) OnStop(ctx context.Context) error { return u.get(ctx, "/ok/custom") }

// TestKillRecordsRequestsInFlight kills users (stop timeout 0) while the
// target holds every request: each client's request in flight is counted
// as an interrupted failure, exactly as many as the target received, the
// stop returns while the target still holds them, and OnStop's requests
// after the kill are recorded as usual.
func TestKillRecordsRequestsInFlight(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	const perType = 3
	types := []*UserType{
		{Name: "Fast", New: func() User { return &stallFastUser{path: "/fast"} }},
		{Name: "FastSub", New: func() User { return &stallFastUser{path: "/fastsub", sub: true} }},
		{Name: "Std", New: func() User { return new(stallStdUser) }},
		{Name: "Custom", New: func() User { return &stallCustomUser{base: srv.URL, client: client} }},
	}
	// A request timeout far past any test: only the kill can end them.
	r, st := newTestRunner(t, nil, runnerOptions{requestTimeout: time.Hour}, types...)
	for _, ut := range r.types {
		ut.host = srv.URL
	}
	done := make(chan int, 1)
	r.start(perType*len(types), 0, func(n int) { done <- n })
	<-done
	stalled := []struct{ kind, path string }{{"GET", "/fast"}, {"GET", "/fastsub"}, {"GET", "/std"}, {"custom", "/custom"}}
	waitFor(t, "every user's request at the target", func() bool {
		for _, s := range stalled {
			if srv.received(s.path) < perType {
				return false
			}
		}
		return true
	})

	// The grace only bounds a failing test: a kill that waited for the
	// answers would leave the users running until it expired.
	if left := r.stop(30 * time.Second); left != 0 {
		t.Fatalf("%d users still running after the kill: their requests were not aborted", left)
	}
	srv.release() // only now: the stop did not wait for any answer

	snap := snapshot(st)
	fails := map[string]map[string]uint64{}
	for _, f := range snap.Failures {
		if fails[f.Name] == nil {
			fails[f.Name] = map[string]uint64{}
		}
		fails[f.Name][f.Error] += f.Occurrences
	}
	for _, s := range stalled {
		e := entry(snap, s.path)
		got := uint64(srv.received(s.path))
		if e.Method != s.kind || e.Requests != got || e.Failures != got || got != perType {
			t.Errorf("%s: %s, %d requests, %d failures; the target received %d, want %d", s.path, e.Method, e.Requests, e.Failures, got, perType)
		}
		if f := fails[s.path]; len(f) != 1 || f[failure.InterruptedMessage] != got {
			t.Errorf("%s: failures %v, want %d %q", s.path, f, got, failure.InterruptedMessage)
		}
		// Each counted its time until the kill: one sample per request.
		if e.Min <= 0 || e.Median <= 0 || e.Max < e.Min {
			t.Errorf("%s: response times min %v, median %v, max %v", s.path, e.Min, e.Median, e.Max)
		}
	}
	for _, path := range []string{"/ok/fast", "/ok/fastsub", "/ok/std", "/ok/custom"} {
		e := entry(snap, path)
		if got := srv.received(path); e.Requests != perType || got != perType || e.Failures != 0 {
			t.Errorf("OnStop's %s: %d requests, %d failures, the target received %d; want %d successes", path, e.Requests, e.Failures, got, perType)
		}
	}
	if len(snap.Errors) != 0 {
		t.Errorf("user errors: %+v", snap.Errors)
	}
}

// recordEnv is a running user's environment for recording tests: life is
// its context, which kill cancels.
func recordEnv(t *testing.T) (task context.Context, kill context.CancelFunc, st *stats.Stats) {
	t.Helper()
	st = stats.New(time.Now(), stats.Options{})
	life, kill := context.WithCancel(context.Background())
	t.Cleanup(kill)
	env := &userEnv{shard: st.Shard(0), events: &Events{}, ctx: life, timeout: time.Minute}
	return context.WithValue(life, envKey{}, env), kill, st
}

// TestRecordAfterTheKill pins which failures count as interrupted at the
// stop: only those whose context the kill cancelled.
func TestRecordAfterTheKill(t *testing.T) {
	t.Parallel()
	reset := errors.New("connection reset by peer")
	tests := []struct {
		name   string
		killed bool
		ctx    func(t *testing.T, task context.Context) context.Context
		err    error
		want   string // failure message; "" for a success
	}{
		{"alive", false, nil, reset, "connection reset by peer"},
		{"killed", true, nil, context.Canceled, failure.InterruptedMessage},
		{"killed, whatever the client said", true, nil, reset, failure.InterruptedMessage},
		{"killed, with a sub-context", true, func(t *testing.T, ctx context.Context) context.Context {
			ctx, cancel := context.WithCancel(ctx) // cancelled by the kill
			t.Cleanup(cancel)
			return ctx
		}, context.Canceled, failure.InterruptedMessage},
		{"killed, answered anyway", true, nil, nil, ""},
		{"own sub-context cancelled", false, func(_ *testing.T, ctx context.Context) context.Context {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx
		}, context.Canceled, "context canceled"},
		{"own deadline, then killed", true, func(t *testing.T, ctx context.Context) context.Context {
			ctx, cancel := context.WithDeadline(ctx, time.Unix(1, 0)) // expired
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded, "timeout: no complete response within the request timeout"},
		{"OnStop's context after the kill", true, func(_ *testing.T, ctx context.Context) context.Context {
			return context.WithoutCancel(ctx)
		}, reset, "connection reset by peer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task, kill, st := recordEnv(t)
			ctx := task
			if tt.ctx != nil {
				ctx = tt.ctx(t, task)
			}
			if tt.killed {
				kill()
			}
			Record(ctx, Request{Kind: "K", Name: "n", Duration: time.Millisecond, Err: tt.err})
			snap := snapshot(st)
			if snap.Total.Requests != 1 {
				t.Fatalf("%d requests recorded, want 1", snap.Total.Requests)
			}
			var got string
			if len(snap.Failures) == 1 {
				got = snap.Failures[0].Error
			}
			if got != tt.want || len(snap.Failures) > 1 {
				t.Errorf("failures %+v, want %q", snap.Failures, tt.want)
			}
		})
	}
}

// TestTimeAfterTheKill: an op that begins after the kill and fails sent
// nothing and is not recorded; one that succeeds anyway is.
func TestTimeAfterTheKill(t *testing.T) {
	t.Parallel()
	task, kill, st := recordEnv(t)
	kill()
	fail := func(ctx context.Context) (int64, error) { return 0, ctx.Err() }
	ok := func(context.Context) (int64, error) { return 2, nil }
	if err := Time(task, "K", "failed", fail); !errors.Is(err, context.Canceled) {
		t.Errorf("Time = %v, want the context's error", err)
	}
	Time(task, "K", "answered", ok)
	reset := func(context.Context) (int64, error) { return 0, errors.New("connection reset by peer") }
	Time(context.WithoutCancel(task), "K", "onstop", reset) // OnStop's context: a request like any other
	snap := snapshot(st)
	if e := entry(snap, "failed"); e.Requests != 0 {
		t.Errorf("an op that began after the kill was recorded: %+v", e)
	}
	if e := entry(snap, "answered"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("answered after the kill: %d requests, %d failures", e.Requests, e.Failures)
	}
	if e := entry(snap, "onstop"); e.Requests != 1 || e.Failures != 1 || len(snap.Failures) != 1 || snap.Failures[0].Error != "connection reset by peer" {
		t.Errorf("OnStop's op: %d requests, %d failures; failures %+v", e.Requests, e.Failures, snap.Failures)
	}
}

// TestFastSessionAbortsOnItsContext: a FastSession's request ends when the
// context it was made with is done, not at its timeout; cancelled by the
// task itself, it is a plain failure, not an interruption.
func TestFastSessionAbortsOnItsContext(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	task, _, st := recordEnv(t)
	env := envFrom(task)
	env.host, env.timeout = srv.URL, time.Hour
	s := newFastSession(env)
	defer s.Close()

	ctx, cancel := context.WithCancel(task)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- s.Get(ctx, "/own").Err() }()
	waitFor(t, "the request at the target", func() bool { return srv.received("/own") == 1 })
	cancel() // the server still holds the request: only the cancel can end it
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("Err() = %v, want the context's cancellation", err)
	}
	// The session still works, on a new connection.
	if r := s.Get(task, "/ok/after"); r.Err() != nil || r.Text() != "ok" {
		t.Errorf("next request: %v %q", r.Err(), r.Text())
	}
	snap := snapshot(st)
	if e := entry(snap, "/own"); e.Requests != 1 || e.Failures != 1 || len(snap.Failures) != 1 || snap.Failures[0].Error != "context canceled" {
		t.Errorf("/own: %d requests, %d failures; failures %+v", e.Requests, e.Failures, snap.Failures)
	}
}

// TestFastSessionKillSparesOnStop: the user's kill aborts only requests
// made with a context it cancels, not OnStop's, which outlives it.
func TestFastSessionKillSparesOnStop(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	task, kill, st := recordEnv(t)
	env := envFrom(task)
	env.host, env.timeout = srv.URL, time.Hour
	s := newFastSession(env)
	defer s.Close()
	if r := s.Get(task, "/ok/first"); r.Err() != nil { // arms the user watch
		t.Fatal(r.Err())
	}
	onStop, cancel := context.WithTimeout(context.WithoutCancel(task), time.Hour)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- s.Get(onStop, "/held").Err() }()
	waitFor(t, "the request at the target", func() bool { return srv.received("/held") == 1 })
	kill()
	s.abort.userKilled() // what the user watch does, surely done before the release
	srv.release()
	if err := <-result; err != nil {
		t.Errorf("OnStop's request after the kill: %v, want its answer", err)
	}
	if e := entry(snapshot(st), "/held"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("/held: %d requests, %d failures", e.Requests, e.Failures)
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A request whose user is killed before any byte of it left (here: while
// its connection is still being dialled) never reached the target, so it
// is not recorded; one that left is recorded as interrupted.
func TestKillBeforeSendingRecordsNothing(t *testing.T) {
	t.Parallel()
	srv := newStallServer(t)
	_, env, st := sessionEnv(t, srv.URL, 0)
	life, kill := context.WithCancel(context.Background())
	env.ctx = life
	ctx := context.WithValue(life, envKey{}, env)
	s := newSession(env)
	defer s.Close()
	dialing := make(chan struct{})
	s.tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		close(dialing)
		<-ctx.Done() // a dial that never connects before the kill
		return nil, ctx.Err()
	}
	done := make(chan *Response)
	go func() { done <- s.Get(ctx, "/held") }()
	<-dialing
	kill()
	r := <-done
	if !errors.Is(r.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", r.Err())
	}
	st.Tick(time.Now(), 0)
	if snap := st.Snapshot(time.Now(), 0); snap.Total.Requests != 0 {
		t.Errorf("a request that never left was recorded: %+v", snap.Total)
	}
	if n := srv.received("/held"); n != 0 {
		t.Fatalf("the target got %d requests", n)
	}
}

// TestSessionCutUnsent pins when a failed Session request counts as cut by
// the kill before it left (not recorded): only when the kill, not the
// request's own timeout, ended it. A request whose timeout expired with
// nothing written (a stuck dial), its user killed a moment later, is a
// failure like any other: the kill did not cut it.
func TestSessionCutUnsent(t *testing.T) {
	t.Parallel()
	expired := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithDeadline(ctx, time.Unix(1, 0))
	}
	later := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, time.Hour)
	}
	for _, tt := range []struct {
		name    string
		timeout func(context.Context) (context.Context, context.CancelFunc)
		killed  bool
		written bool
		want    bool
	}{
		{"killed before any of it left", later, true, false, true},
		{"killed, without a timeout", nil, true, false, true},
		{"killed after some of it left", later, true, true, false},
		{"its own timeout first, then killed", expired, true, false, false},
		{"failed on its own, alive", later, false, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task, kill, _ := recordEnv(t)
			s := newSession(envFrom(task))
			defer s.Close()
			ctx := task
			if tt.timeout != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.timeout(task)
				defer cancel()
			}
			wrote := s.wrote.Load()
			if tt.written {
				s.wrote.Add(10)
			}
			if tt.killed {
				kill()
			}
			if got := s.cutUnsent(task, ctx, wrote); got != tt.want {
				t.Errorf("cutUnsent = %v, want %v", got, tt.want)
			}
		})
	}
}
