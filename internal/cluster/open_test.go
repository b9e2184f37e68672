package cluster

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd/internal/shape"
	"github.com/herdload/herd/internal/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// fullSchedule is every arrival of a finite profile.
func fullSchedule(t *testing.T, spec string, poisson bool, seed uint64) []time.Duration {
	t.Helper()
	r, err := shape.ParseRate(spec)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Duration
	a := shape.NewArrivals(r, poisson, seed)
	for d, ok := a.Next(); ok; d, ok = a.Next() {
		out = append(out, d)
	}
	return out
}

// walk takes s's arrivals before until (all of them when until is 0).
func walk(s *Schedule, until time.Duration) []time.Duration {
	var out []time.Duration
	for {
		d, ok := s.Next()
		if !ok || until > 0 && d >= until {
			return out
		}
		out = append(out, d)
	}
}

// The shares of the workers taking part add up to the full schedule,
// exactly, also when workers leave and join: three workers start, the
// third leaves (its share is given out anew from 3 s on), and a new one
// joins at 6.5 s.
func TestScheduleSharesAddUpAcrossReshares(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		spec    string
		poisson bool
	}{
		{"stages:start=100,5s:300,5s:100", false},
		{"stages:start=100,5s:300,5s:100", true},
		{"stages:2s:100,1s:0,2s:0,4s:330", false}, // a pause: several iterations due at one instant
		{"stages:start=1000/m,9s:1000/m", false},
	} {
		spec, poisson := c.spec, c.poisson
		full := fullSchedule(t, spec, poisson, 7)
		share := func(i, n int, from time.Duration) OpenShare {
			return OpenShare{Rate: spec, Poisson: poisson, Seed: 7, Share: i, Shares: n, From: from}
		}
		newSched := func(sh OpenShare) *Schedule {
			s, err := NewSchedule(sh)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		t1, t2 := 3*time.Second, 6500*time.Millisecond
		if len(full) < 100 {
			t.Fatalf("%s: %d arrivals", spec, len(full))
		}
		w0, w1, w2 := newSched(share(0, 3, 0)), newSched(share(1, 3, 0)), newSched(share(2, 3, 0))
		var got []time.Duration
		got = append(got, walk(w2, t1)...) // w2 runs until it leaves
		for i, w := range []*Schedule{w0, w1} {
			if late, err := w.Reshare(share(i, 2, t1)); late || err != nil {
				t.Fatalf("reshare: late %v, %v", late, err)
			}
		}
		// The next re-share is known before the first boundary is reached.
		if late, _ := w0.Reshare(share(0, 3, t2)); late {
			t.Fatal("late")
		}
		got = append(got, walk(w0, 0)...)
		w1.Reshare(share(1, 3, t2))
		got = append(got, walk(w1, 0)...)
		got = append(got, walk(newSched(share(2, 3, t2)), 0)...)
		slices.Sort(got)
		if !slices.Equal(got, full) {
			t.Errorf("%s poisson %v: the shares have %d arrivals, the schedule %d", spec, poisson, len(got), len(full))
		}
	}
}

// A uniform share that jumps to a boundary late in a long run takes the
// same arrivals as one that walks there, and quickly.
func TestUniformShareSeeksExactly(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"1000/s", "7/s", "stages:1h:200,1h:200", "stages:10s:3,5s:0,10s:3"} {
		r, err := shape.ParseRate(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range []time.Duration{0, 1, 12345 * time.Millisecond, 90 * time.Minute} {
			for i := range 3 {
				a, _ := shape.NewArrivals(r, false, 0).Share(i, 3)
				slow := &uniformShare{rate: r, k: uint64(i), stride: 3}
				want, wantOK := slowSkip(a, from)
				got, ok := skipTo(slow, from)
				if got != want || ok != wantOK {
					t.Errorf("%s from %v share %d: %v %v, want %v %v", spec, from, i, got, ok, want, wantOK)
				}
				for range 5 {
					w, wok := a.Next()
					g, gok := slow.Next()
					if g != w || gok != wok {
						t.Errorf("%s from %v share %d: next %v %v, want %v %v", spec, from, i, g, gok, w, wok)
					}
				}
			}
		}
	}
}

// slowSkip walks a until from.
func slowSkip(a *shape.Arrivals, from time.Duration) (time.Duration, bool) {
	for {
		t, ok := a.Next()
		if !ok || t >= from {
			return t, ok
		}
	}
}

// A re-share that arrives after its boundary was passed says so.
func TestScheduleLateReshare(t *testing.T) {
	t.Parallel()
	s, err := NewSchedule(OpenShare{Rate: "100/s", Share: 0, Shares: 1})
	if err != nil {
		t.Fatal(err)
	}
	walk(s, time.Second)
	if late, err := s.Reshare(OpenShare{Rate: "100/s", Share: 0, Shares: 2, From: 500 * time.Millisecond}); !late || err != nil {
		t.Errorf("late %v, %v", late, err)
	}
	if _, err := NewSchedule(OpenShare{Rate: "100/s", Share: 2, Shares: 2}); err == nil {
		t.Error("share 2 of 2 accepted")
	}
	if _, err := NewSchedule(OpenShare{Rate: "fast", Shares: 1}); err == nil {
		t.Error("a bad rate accepted")
	}
	// A uniform share seeks to any boundary; a Poisson one must draw.
	far := OpenShare{Rate: "1000000/s", Shares: 1, From: 1 << 62}
	if _, err := NewSchedule(far); err != nil {
		t.Error(err)
	}
	far.Poisson = true
	if _, err := NewSchedule(far); err == nil {
		t.Error("a Poisson share 146 years into the schedule accepted")
	}
}

// FuzzOpenSpawnExtension: whatever a master sends under "herd", a worker
// gets an error or a share it can walk.
func FuzzOpenSpawnExtension(f *testing.F) {
	for _, s := range []OpenShare{
		{Rate: "100/s", Start: time.Unix(1, 0), Shares: 1},
		{Rate: "stages:1s:10", Poisson: true, Seed: 9, Start: time.Unix(1700000000, 0), Share: 1, Shares: 2, From: time.Second, Pool: 1},
	} {
		raw, _ := msgpack.Marshal(&spawnExt{V: 1, Open: s.ext()})
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		x, err := decodeSpawnExt(wire.Spawn{Extra: map[string]msgpack.RawMessage{extKey: raw}})
		if err != nil || x.Open == nil {
			return
		}
		s, err := x.Open.share()
		if err != nil {
			return
		}
		if s.Share < 0 || s.Share >= s.Shares || s.From < 0 || s.Pool < 0 || s.MaxUsers < 0 {
			t.Fatalf("accepted %+v", s)
		}
		sched, err := NewSchedule(s)
		if err != nil {
			return
		}
		last := time.Duration(-1)
		for range 100 {
			d, ok := sched.Next()
			if !ok {
				break
			}
			if d < last || d < s.From {
				t.Fatalf("arrival %v after %v (from %v)", d, last, s.From)
			}
			last = d
		}
	})
}

// openLocal is a fakeLocal that records its open-model orders and, for a
// finite rate, walks its share at once.
type openLocal struct {
	*fakeLocal
	mu       sync.Mutex
	shares   []OpenShare // StartOpen then Reshare orders
	arrivals []time.Duration
}

func (o *openLocal) StartOpen(s OpenShare, host string, _ time.Duration, end func()) error {
	sched, err := NewSchedule(s)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.shares = append(o.shares, s)
	o.mu.Unlock()
	o.Apply(map[string]int{"Shopper": s.Pool}, host, 0)
	if strings.HasPrefix(s.Rate, "stages:") {
		go func() {
			a := walk(sched, 0)
			o.mu.Lock()
			o.arrivals = a
			o.mu.Unlock()
			end()
		}()
	}
	return nil
}

func (o *openLocal) Reshare(s OpenShare) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shares = append(o.shares, s)
}

func (o *openLocal) orders() []OpenShare {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.shares)
}

func startOpenWorker(t *testing.T, ctx context.Context, master string) (*openLocal, chan error) {
	l := &openLocal{fakeLocal: newFakeLocal()}
	errs := make(chan error, 1)
	go func() {
		errs <- RunWorker(ctx, WorkerOptions{Master: master, ReportEvery: 100 * time.Millisecond,
			HeartbeatEvery: 50 * time.Millisecond}, l)
	}()
	return l, errs
}

// The master gives each herd worker its share of one schedule, with the
// pool split over them and one shared start; the run ends when every
// share is over.
func TestMasterSharesTheArrivalRate(t *testing.T) {
	t.Parallel()
	m, master := startOpenMaster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, _ := startOpenWorker(t, ctx, master)
	b, _ := startOpenWorker(t, ctx, master)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := m.WaitForWorkers(wctx, 2); err != nil {
		t.Fatal(err)
	}
	const spec = "stages:1s:100,1s:100"
	ended := make(chan struct{})
	before := time.Now()
	err := m.StartOpen(OpenPlan{Rate: spec, Seed: 3, Pool: 3, MaxUsers: 5, MaxLate: time.Second},
		"http://target", 0, func() { close(ended) })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end with its schedule")
	}
	sa, sb := a.orders(), b.orders()
	if len(sa) != 1 || len(sb) != 1 {
		t.Fatalf("orders %+v %+v", sa, sb)
	}
	if sa[0].Share == sb[0].Share || sa[0].Shares != 2 || !sa[0].Start.Equal(sb[0].Start) ||
		sa[0].Start.Before(before.Add(OpenLead)) || sa[0].Pool+sb[0].Pool != 3 || sa[0].MaxUsers+sb[0].MaxUsers != 5 ||
		sa[0].MaxLate != time.Second || sa[0].Rate != spec {
		t.Errorf("shares %+v and %+v", sa[0], sb[0])
	}
	a.mu.Lock()
	got := append(slices.Clone(a.arrivals), b.arrivals...)
	a.mu.Unlock()
	slices.Sort(got)
	if want := fullSchedule(t, spec, false, 3); !slices.Equal(got, want) {
		t.Errorf("the workers' shares have %d arrivals, the schedule %d", len(got), len(want))
	}
	if err := m.Start(1, 1, "", 0, nil); err == nil {
		t.Error("a user count was set during an arrival-rate run")
	}
	m.Stop(5 * time.Second)
	m.Quit(5 * time.Second)
}

// Workers that join or leave an open-model run get new shares, all from
// the same boundary in the future.
func TestMasterResharesWhenWorkersChange(t *testing.T) {
	t.Parallel()
	m, master := startOpenMaster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, _ := startOpenWorker(t, ctx, master)
	b, _ := startOpenWorker(t, ctx, master)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := m.WaitForWorkers(wctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.StartOpen(OpenPlan{Rate: "100/s", Pool: 2, MaxUsers: 2}, "", 0, nil); err != nil {
		t.Fatal(err)
	}
	poll(t, "both shares", func() bool { return len(a.orders()) == 1 && len(b.orders()) == 1 })

	// A third worker joins: everyone gets a share of three, from one boundary.
	cctx, leave := context.WithCancel(ctx)
	c, cerr := startOpenWorker(t, cctx, master)
	poll(t, "shares of three", func() bool { return len(a.orders()) == 2 && len(b.orders()) == 2 && len(c.orders()) == 1 })
	third := []OpenShare{a.orders()[1], b.orders()[1], c.orders()[0]}
	shares := map[int]bool{}
	for _, s := range third {
		shares[s.Share] = true
		if s.Shares != 3 || s.From != third[0].From || s.From <= 0 || !s.Start.Equal(a.orders()[0].Start) {
			t.Errorf("share %+v", s)
		}
	}
	if len(shares) != 3 || c.orders()[0].Pool != 1 {
		t.Errorf("shares %+v", third)
	}

	// It leaves: the other two share the rate again, from a later boundary.
	leave()
	if err := <-cerr; err != nil {
		t.Fatal(err)
	}
	poll(t, "shares of two", func() bool { return len(a.orders()) == 3 && len(b.orders()) == 3 })
	sa, sb := a.orders()[2], b.orders()[2]
	if sa.Shares != 2 || sa.Share == sb.Share || sa.From != sb.From || sa.From <= third[0].From {
		t.Errorf("shares %+v and %+v after a worker left", sa, sb)
	}
	m.Stop(5 * time.Second)
	m.Quit(5 * time.Second)
}

// A master refuses an open-model run while a Locust worker is connected:
// it could not run its share.
func TestMasterRefusesOpenModelWithLocustWorkers(t *testing.T) {
	t.Parallel()
	m, master := startOpenMaster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	herd, _ := startOpenWorker(t, ctx, master)
	locust := dialRaw(t, master, wire.NewNodeID(), true)
	locust.beating.Store(true)
	locust.register(t, wire.ClientReadyVersion("2.12.1"))
	total := wire.StatsEntry{Name: "Aggregated"}
	locust.send(wire.StatsReport{StatsTotal: total, UserClassesCount: map[string]int{"Shopper": 0}})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := m.WaitForWorkers(wctx, 2); err != nil {
		t.Fatal(err)
	}
	err := m.StartOpen(OpenPlan{Rate: "10/s", Pool: 2}, "", 0, nil)
	if err == nil || !strings.Contains(err.Error(), "Locust workers cannot run the open model") ||
		!strings.Contains(err.Error(), "1 connected worker(s) are not herd workers: "+locust.id+` (a Locust worker, version "2.12.1")`) {
		t.Fatalf("err = %v", err)
	}
	if len(herd.orders()) != 0 || locust.count(wire.TypeSpawn) != 0 {
		t.Error("a refused run sent spawns")
	}
}

// The same with a real Locust worker: the run is refused, and the
// worker, which never saw a spawn, quits cleanly with the master.
func TestMasterRefusesOpenModelWithARealLocustWorker(t *testing.T) {
	t.Parallel()
	needLocust(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	lf := filepath.Join(dir, "locustfile.py")
	if err := os.WriteFile(lf, []byte(reportingLocustfile), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := StartMaster(ctx, MasterOptions{Bind: "tcp://127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	herd, _ := startOpenWorker(t, ctx, "tcp://127.0.0.1:"+itoa(m.Port()))
	p := startLocust(t, ctx, dir, "-f", lf, "--worker", "--master-host", "127.0.0.1", "--master-port", itoa(m.Port()))
	if err := m.WaitForWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	err = m.StartOpen(OpenPlan{Rate: "10/s", Pool: 2}, "", 0, nil)
	if err == nil || !strings.Contains(err.Error(), "Locust workers cannot run the open model") ||
		!strings.Contains(err.Error(), "1 connected worker(s) are not herd workers") {
		t.Fatalf("err = %v", err)
	}
	if len(herd.orders()) != 0 {
		t.Error("a refused run reached the herd worker")
	}
	m.Quit(20 * time.Second)
	if code := p.exitCode(t); code != 0 {
		t.Errorf("the Locust worker exited with %d\n%s", code, p.out.String())
	}
}

// The spawn's herd extension is a plain msgpack map under "herd", after
// Locust's five keys.
func TestOpenSpawnExtension(t *testing.T) {
	t.Parallel()
	s := OpenShare{Rate: "stages:10s:100", Poisson: true, Seed: 1 << 63, Start: time.Unix(1700000000, 123456789),
		Share: 1, Shares: 3, From: 2 * time.Second, Pool: 4, MaxUsers: 8, MaxLate: time.Second}
	raw, err := msgpack.Marshal(&spawnExt{V: 1, Open: s.ext()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := wire.DecodeValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	open := v.(map[string]any)["open"].(map[string]any)
	if open["rate"] != "stages:10s:100" || open["arrivals"] != "poisson" || open["start"] != int64(1700000000123456789) ||
		open["from"] != int64(2e9) || open["max_lateness"] != int64(1e9) {
		t.Errorf("extension %v", v)
	}
	sp := wire.Spawn{Timestamp: 1, UserClassesCount: map[string]int{}, ParsedOptions: map[string]any{},
		Extra: map[string]msgpack.RawMessage{extKey: raw}}
	data, err := sp.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	back, err := wire.DecodeSpawn(data)
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeSpawnExt(back)
	if err != nil || x.Open == nil {
		t.Fatalf("%+v, %v", x, err)
	}
	got, err := x.Open.share()
	if err != nil || got != s {
		t.Errorf("round trip %+v, %v; want %+v", got, err, s)
	}
	x.Open.Share = 3
	if _, err := x.Open.share(); err == nil {
		t.Error("share 3 of 3 accepted")
	}
}

// startOpenMaster starts a master on a free loopback port, closed when the
// test ends, and returns it with its endpoint.
func startOpenMaster(t *testing.T) (*Master, string) {
	t.Helper()
	m, err := StartMaster(context.Background(), MasterOptions{Bind: "tcp://127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, "tcp://127.0.0.1:" + itoa(m.Port())
}
