package control

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// fakeLocal stands in for the root package's runner: users are numbers,
// a ramp takes |to-from|/rate of (fake) time, and while users run each of
// them records one request a second (at half seconds) into the test's statistics, so the
// reports have something to show.
type fakeLocal struct {
	spec LocalSpec
	f    *fakes

	mu       sync.Mutex
	users    int
	only     []string
	ramp     *time.Timer   // the ramp in progress
	work     chan struct{} // closed to end the users' work
	stopped  bool
	stopTest chan struct{}
	openEnd  *time.Timer
}

// fakes makes fakeLocals and keeps what the tests look at.
type fakes struct {
	mu      sync.Mutex
	locals  []*fakeLocal
	ramps   []int // every target asked, in order
	openErr error // StartOpen fails with it
	// schedule is how long an open-model schedule runs before OnEnd.
	schedule time.Duration
	// unique gives every request a name of its own ("/item/N"), as a test
	// that puts an id in its URLs; otherwise all are "/fake".
	unique bool
	seq    int // the last N
}

func (f *fakes) newLocal(spec LocalSpec) (Local, error) {
	l := &fakeLocal{spec: spec, f: f, stopTest: make(chan struct{})}
	f.mu.Lock()
	f.locals = append(f.locals, l)
	f.mu.Unlock()
	return l, nil
}

func (f *fakes) last() *fakeLocal {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.locals) == 0 {
		return nil
	}
	return f.locals[len(f.locals)-1]
}

func (f *fakes) targets() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ramps)
}

func (l *fakeLocal) Ramp(target int, rate float64, done func(int)) {
	l.f.mu.Lock()
	l.f.ramps = append(l.f.ramps, target)
	l.f.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	if l.ramp != nil {
		l.ramp.Stop()
	}
	d := time.Duration(0)
	if rate > 0 {
		d = time.Duration(float64(abs(target-l.users)) / rate * float64(time.Second))
	}
	l.ramp = time.AfterFunc(d, func() {
		l.mu.Lock()
		if l.stopped {
			l.mu.Unlock()
			return
		}
		l.users = target
		l.startWorkLocked()
		l.mu.Unlock()
		done(target)
	})
}

// startWorkLocked makes the users record a request a second each.
func (l *fakeLocal) startWorkLocked() {
	if l.work != nil {
		return
	}
	l.work = make(chan struct{})
	go func(done <-chan struct{}) {
		// Half a second off the controller's ticks, so which comes first
		// is never a coin toss.
		select {
		case <-done:
			return
		case <-time.After(500 * time.Millisecond):
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			l.mu.Lock()
			n := l.users
			l.mu.Unlock()
			for range n {
				name := "/fake"
				l.f.mu.Lock()
				if l.f.unique {
					l.f.seq++
					name = "/item/" + strconv.Itoa(l.f.seq)
				}
				l.f.mu.Unlock()
				l.spec.Stats.Shard(0).Record("GET", name, 10*time.Millisecond, 100, "")
			}
		}
	}(l.work)
}

func abs(n int) int { return max(n, -n) }

func (l *fakeLocal) SetCounts(counts map[string]int) {
	n := 0
	for _, v := range counts {
		n += v
	}
	l.mu.Lock()
	l.users = n
	l.mu.Unlock()
}

func (l *fakeLocal) StartOpen(o OpenOptions) error {
	if l.f.openErr != nil {
		return l.f.openErr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users = o.Pool
	l.startWorkLocked()
	if l.f.schedule > 0 {
		l.openEnd = time.AfterFunc(l.f.schedule, o.OnEnd)
	}
	return nil
}

func (l *fakeLocal) Restrict(names []string) error {
	l.mu.Lock()
	l.only = slices.Clone(names)
	l.mu.Unlock()
	return nil
}

func (l *fakeLocal) Stop(time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.users = 0
	for _, t := range []*time.Timer{l.ramp, l.openEnd} {
		if t != nil {
			t.Stop()
		}
	}
	if l.work != nil {
		close(l.work)
		l.work = nil
	}
	return 0
}

func (l *fakeLocal) Users() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.users
}

func (l *fakeLocal) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return map[string]int{"Shopper": l.users}
}

func (l *fakeLocal) StopTestRequested() <-chan struct{} { return l.stopTest }

// syncBuf is a bytes.Buffer safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hookLog records the hooks a controller called, in order.
type hookLog struct {
	mu    sync.Mutex
	calls []string
}

func (h *hookLog) add(s string) {
	h.mu.Lock()
	h.calls = append(h.calls, s)
	h.mu.Unlock()
}

func (h *hookLog) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// setup is a controller over fakes, with the options tweak changed.
type setup struct {
	c      *Controller
	f      *fakes
	hooks  *hookLog
	stdout *syncBuf
	logs   *syncBuf
}

func newSetup(t *testing.T, tweak func(*config.Config, *Options)) *setup {
	t.Helper()
	s := &setup{f: &fakes{}, hooks: &hookLog{}, stdout: &syncBuf{}, logs: &syncBuf{}}
	cfg := config.Default()
	cfg.Headless = true
	cfg.OnlySummary = true
	opts := Options{
		Config: cfg, Prog: "test", Stdout: s.stdout, Stderr: s.logs,
		Log:      slog.New(slog.NewTextHandler(s.logs, nil)),
		Types:    []Type{{Name: "Shopper", Weight: 1}},
		NewLocal: s.f.newLocal,
		Hooks: Hooks{
			Init:             func(RunInfo) error { s.hooks.add("init"); return nil },
			TestStart:        func() error { s.hooks.add("test_start"); return nil },
			TestStopping:     func() { s.hooks.add("test_stopping") },
			TestStop:         func() { s.hooks.add("test_stop") },
			SpawningComplete: func(n int) { s.hooks.add("spawning_complete") },
			Quitting: func(snap *stats.Snapshot, code int) int {
				s.hooks.add("quitting")
				return code
			},
		},
	}
	if tweak != nil {
		tweak(&opts.Config, &opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.c = c
	return s
}

// run runs the controller in a goroutine; wait returns its result.
func (s *setup) run(ctx context.Context) (wait func() (int, error, time.Duration)) {
	type result struct {
		code int
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		code, err := s.c.Run(ctx)
		done <- result{code, err, time.Since(start)}
	}()
	return func() (int, error, time.Duration) {
		r := <-done
		return r.code, r.err, r.took
	}
}

// endOf is the end the last test had.
func (s *setup) endOf() End {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.c.run == nil {
		return End{}
	}
	return s.c.run.end
}

var errRefused = errors.New("refused")

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func cfg(dir, name string) string { return dir + "/" + name }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func mustRate(t *testing.T, spec string) *shape.Rate {
	t.Helper()
	r, err := shape.ParseRate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func mustThresholds(t *testing.T, exprs ...string) []threshold.Threshold {
	t.Helper()
	th, err := threshold.ParseAll(exprs)
	if err != nil {
		t.Fatal(err)
	}
	return th
}
