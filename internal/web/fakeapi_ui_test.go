package web

// A small fake of the web API (docs/web-api.md) for the browser tests of
// the UI, independent of the real server: it serves Assets() and the
// routes the UI uses under a base path, and makes realistic data.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// uiBase is the base path the fake serves the UI under, so every test
// also checks that the UI's URLs are relative (--web-base-path).
const uiBase = "/herd/"

// uiStateDoc is /api/state as docs/web-api.md describes it.
type uiStateDoc struct {
	State       string       `json:"state"`
	Users       int          `json:"user_count"`
	TargetUsers int          `json:"target_users"`
	SpawnRate   float64      `json:"spawn_rate"`
	Host        string       `json:"host"`
	StartedAt   *string      `json:"started_at"`
	StoppedAt   *string      `json:"stopped_at"`
	RunTime     float64      `json:"run_time_s"`
	Deadline    *string      `json:"deadline"`
	RunTimeLeft *float64     `json:"run_time_left_s"`
	UserClasses []uiClassDoc `json:"user_classes"`
	ClassPicker bool         `json:"class_picker"`
	CPUWarning  bool         `json:"cpu_warning"`
	CPUPercent  float64      `json:"cpu_percent"`
	IsMaster    bool         `json:"is_master"`
	WorkerCount int          `json:"worker_count"`
	Workers     []uiWorker   `json:"workers"`
	Shape       string       `json:"shape"`
	ArrivalRate string       `json:"arrival_rate"`
	MaxUsers    int          `json:"max_users"`
	ServerTime  string       `json:"server_time"`
	// ExtraOptions are the test's own options, absent without any.
	ExtraOptions []optionDoc `json:"extra_options,omitempty"`
}

// uiThresholdDoc is one result of /api/thresholds.
type uiThresholdDoc struct {
	Expr        string  `json:"expr"`
	Status      string  `json:"status"`
	NoData      bool    `json:"no_data"`
	Value       float64 `json:"value"`
	Unit        string  `json:"unit"`
	Observed    string  `json:"observed"`
	Message     string  `json:"message"`
	FirstFailed *string `json:"first_failed"`
	Abort       bool    `json:"abort"`
}

// uiWorker is one worker of /api/state.
type uiWorker struct {
	ID     string  `json:"id"`
	Index  int     `json:"index"`
	State  string  `json:"state"`
	Users  int     `json:"user_count"`
	CPU    float64 `json:"cpu_usage"`
	Memory int64   `json:"memory_usage"`
}

type uiClassDoc struct {
	Name       string `json:"name"`
	Weight     int    `json:"weight"`
	FixedCount int    `json:"fixed_count"`
	Selected   bool   `json:"selected"`
}

// uiFakeAPI holds the fake test; every field is guarded by mu.
type uiFakeAPI struct {
	t  *testing.T
	mu sync.Mutex

	status     Status
	thresholds []threshold.Result
	snap       *stats.Snapshot
	history    []stats.HistoryRow // full resolution, oldest first
	tasks      TaskRatio
	every      time.Duration                     // SSE period
	tick       func(f *uiFakeAPI, now time.Time) // advances the data each SSE period; nil: static
	now        func() time.Time

	swarms      []url.Values
	swarmTypes  []string
	stops       int
	resets      int
	stray       []string // requests outside the base path
	fullHistory bool

	quit chan struct{}
	srv  *httptest.Server
}

// uiServe starts f on 127.0.0.1 and returns the UI's URL (ending in "/").
func uiServe(t *testing.T, f *uiFakeAPI) string {
	t.Helper()
	f.t = t
	if f.every == 0 {
		f.every = time.Second
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.quit = make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("GET "+uiBase, http.StripPrefix(strings.TrimSuffix(uiBase, "/"), http.FileServerFS(Assets())))
	api := func(pattern string, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+uiBase+path, h)
	}
	api("GET api/state", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		uiWriteJSON(w, http.StatusOK, f.stateLocked())
	})
	api("GET api/stats", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(uiStatsJSON(f.t, f.snap))
	})
	api("GET api/history", func(w http.ResponseWriter, r *http.Request) {
		n := 1200
		if v, err := strconv.Atoi(r.URL.Query().Get("points")); err == nil && v > 0 {
			n = v
		}
		f.mu.Lock()
		rows := downsample(f.history, n)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"points":[%s]}`, bytes.Join(uiRowsJSON(f.t, rows), []byte(",")))
	})
	api("GET api/thresholds", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		uiWriteJSON(w, http.StatusOK, f.thresholdsLocked())
	})
	api("GET api/events", f.events)
	api("GET tasks", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		uiWriteJSON(w, http.StatusOK, f.tasks)
	})
	api("POST swarm", f.swarm)
	api("POST stop", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.stops++
		f.status.State = StateStopped
		f.status.Users = 0
		f.status.StoppedAt = f.now()
		uiWriteJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Test stopped"})
	})
	api("POST stats/reset", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.resets++
		w.Write([]byte("ok"))
	})
	api("GET stats/requests_full_history/csv", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.fullHistory
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Write([]byte("Timestamp\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.stray = append(f.stray, r.Method+" "+r.URL.String())
		f.mu.Unlock()
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", uiCSP) // the real server's policy
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(f.quit)
		f.srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.stray) > 0 {
			t.Errorf("the UI requested URLs outside its base path %s: %q", uiBase, f.stray)
		}
	})
	return f.srv.URL + uiBase
}

func (f *uiFakeAPI) stateLocked() uiStateDoc {
	st := f.status
	now := f.now()
	ts := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339Nano)
		return &s
	}
	doc := uiStateDoc{
		State: st.State, Users: st.Users, TargetUsers: st.TargetUsers, SpawnRate: st.SpawnRate, Host: st.Host,
		StartedAt: ts(st.StartedAt), StoppedAt: ts(st.StoppedAt), RunTime: st.RunTime.Seconds(),
		Deadline: ts(st.Deadline), UserClasses: []uiClassDoc{}, ClassPicker: st.ClassPicker,
		CPUWarning: st.CPUWarning, CPUPercent: math.Round(st.CPUShare*1000) / 10,
		IsMaster: st.IsMaster, Workers: []uiWorker{},
		Shape: st.Shape, ArrivalRate: st.ArrivalRate, MaxUsers: st.MaxUsers,
		ServerTime: now.UTC().Format(time.RFC3339Nano), ExtraOptions: optionDocs(st.Options),
	}
	if st.IsMaster {
		// As the server sends them, except the order: the UI sorts by index.
		for _, w := range st.Workers {
			doc.Workers = append(doc.Workers, uiWorker(w))
			if w.State != WorkerMissing {
				doc.WorkerCount++
			}
		}
	}
	if !st.Deadline.IsZero() {
		left := max(0, st.Deadline.Sub(now)).Seconds()
		doc.RunTimeLeft = &left
	}
	for _, c := range st.UserClasses {
		doc.UserClasses = append(doc.UserClasses, uiClassDoc(c))
	}
	return doc
}

func (f *uiFakeAPI) thresholdsLocked() []uiThresholdDoc {
	out := []uiThresholdDoc{}
	for _, r := range f.thresholds {
		d := uiThresholdDoc{Expr: r.Expr, Status: r.Status.String(), NoData: r.NoData, Value: r.Value, Unit: r.Unit,
			Observed: r.Observed, Message: r.Message(), Abort: r.Abort}
		if !r.FirstFailed.IsZero() {
			s := r.FirstFailed.UTC().Format(time.RFC3339Nano)
			d.FirstFailed = &s
		}
		out = append(out, d)
	}
	return out
}

// uiMarshalRaw is JSON without HTML escaping (like uiStatsJSON), which
// makes the XSS tests stricter.
func uiMarshalRaw(t *testing.T, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Error(err)
		return []byte("null")
	}
	return bytes.TrimSpace(b.Bytes())
}

func (f *uiFakeAPI) updateLocked() []byte {
	state, err := json.Marshal(f.stateLocked())
	if err != nil {
		f.t.Error(err)
	}
	point := []byte("null")
	if n := len(f.history); n > 0 {
		point = uiRowsJSON(f.t, f.history[n-1:])[0]
	}
	return fmt.Appendf(nil, "event: update\ndata: {\"state\":%s,\"stats\":%s,\"thresholds\":%s,\"point\":%s}\n\n",
		state, uiStatsJSON(f.t, f.snap), uiMarshalRaw(f.t, f.thresholdsLocked()), point)
}

func (f *uiFakeAPI) events(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	flusher, _ := w.(http.Flusher)
	send := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	f.mu.Lock()
	first := f.updateLocked()
	every := f.every
	f.mu.Unlock()
	if !send([]byte("retry: 500\n\n")) || !send(first) {
		return
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-f.quit:
			return
		case <-tk.C:
			f.mu.Lock()
			if f.tick != nil {
				f.tick(f, f.now())
			}
			b := f.updateLocked()
			f.mu.Unlock()
			if !send(b) {
				return
			}
		}
	}
}

func (f *uiFakeAPI) swarm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		uiWriteJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.swarms = append(f.swarms, r.PostForm)
	f.swarmTypes = append(f.swarmTypes, r.Header.Get("Content-Type"))
	fail := func(msg string) {
		uiWriteJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": msg})
	}
	users, err := strconv.Atoi(r.PostForm.Get("user_count"))
	if err != nil || users < 0 {
		fail(fmt.Sprintf("user_count: %q is not a whole number ≥ 0", r.PostForm.Get("user_count")))
		return
	}
	rate, err := strconv.ParseFloat(r.PostForm.Get("spawn_rate"), 64)
	if err != nil || rate <= 0 {
		fail(fmt.Sprintf("spawn_rate: %q is not a number > 0", r.PostForm.Get("spawn_rate")))
		return
	}
	if host := r.PostForm.Get("host"); host != "" && !strings.HasPrefix(host, "http://") && !strings.HasPrefix(host, "https://") {
		fail(fmt.Sprintf("host %q: the scheme must be http or https", host))
		return
	}
	st := &f.status
	if st.State == StateReady || st.State == StateStopped {
		if h := r.PostForm.Get("host"); h != "" {
			st.Host = h
		}
		st.StartedAt, st.StoppedAt = f.now(), time.Time{}
	}
	st.State = StateRunning
	st.TargetUsers, st.Users, st.SpawnRate = users, users, rate
	uiWriteJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Swarming started", "host": st.Host})
}

func uiWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// uiStatsJSON is /api/stats: the JSON report without history, compact. It
// is not HTML-escaped (report.WriteJSON does not escape), which makes the
// XSS test stricter.
func uiStatsJSON(t *testing.T, s *stats.Snapshot) []byte {
	var b, c bytes.Buffer
	if err := report.WriteJSON(&b, s, nil); err != nil {
		t.Error(err)
		return []byte("null")
	}
	if err := json.Compact(&c, b.Bytes()); err != nil {
		t.Error(err)
		return []byte("null")
	}
	return c.Bytes()
}

// uiRowsJSON renders history rows in the JSON report's row shape.
func uiRowsJSON(t *testing.T, rows []stats.HistoryRow) [][]byte {
	var b bytes.Buffer
	empty := &stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}
	if err := report.WriteJSON(&b, empty, rows); err != nil {
		t.Error(err)
		return nil
	}
	var doc struct {
		History []json.RawMessage `json:"history"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Error(err)
		return nil
	}
	out := make([][]byte, len(doc.History))
	for i, r := range doc.History {
		var c bytes.Buffer
		json.Compact(&c, r)
		out[i] = c.Bytes()
	}
	return out
}

// ---------- data ----------

// uiEndpoint describes one endpoint of the made-up shop.
type uiEndpoint struct {
	Method, Name string
	BaseMs       float64 // median response time
	Share        float64 // share of all requests
	FailRate     float64
	Size         float64 // bytes
}

var uiShop = []uiEndpoint{
	{"GET", "/", 18, 0.20, 0, 14_200},
	{"GET", "/product/[id]", 34, 0.28, 0.0004, 22_600},
	{"GET", "/category/[slug]", 41, 0.12, 0, 31_400},
	{"GET", "/search?q=[term]", 118, 0.08, 0.011, 9_100},
	{"GET", "/cart", 27, 0.08, 0, 6_300},
	{"POST", "/cart/add", 45, 0.06, 0.0012, 512},
	{"POST", "/checkout", 212, 0.025, 0.038, 1_230},
	{"POST", "/login", 95, 0.015, 0, 830},
	{"GET", "/account/orders", 66, 0.02, 0, 12_500},
	{"GET", "/api/recommendations", 151, 0.05, 0.0045, 3_560},
	{"GET", "/static/app.js", 4.2, 0.02, 0, 183_000},
	{"DELETE", "/cart/item/[id]", 38, 0.006, 0, 210},
	{"PUT", "/account/address", 72, 0.003, 0, 640},
	{"GET", "/healthz", 1.2, 0.001, 0, 17},
	{"GET", "/product/[id]/reviews", 58, 0.04, 0, 8_700},
	{"GET", "/api/stock/[sku]", 23, 0.03, 0.0008, 320},
	{"POST", "/api/cart/sync", 31, 0.02, 0, 150},
	{"GET", "/images/[file]", 7.5, 0.035, 0, 48_000},
	{"GET", "/account", 52, 0.01, 0, 9_800},
	{"POST", "/logout", 12, 0.004, 0, 90},
}

// Percentile factors over the median, for stats.Percentiles.
var uiPctFactors = []float64{1, 1.22, 1.42, 1.58, 2.1, 2.75, 3.7, 4.6, 8.2, 12.5, 16}

func uiMs(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func uiPercentiles(base float64) []time.Duration {
	out := make([]time.Duration, len(uiPctFactors))
	for i, f := range uiPctFactors {
		out[i] = uiMs(base * f)
	}
	return out
}

func uiEntry(method, name string, base float64, requests, failures uint64, size float64, rps, fps float64, elapsed float64) stats.Entry {
	ps := uiPercentiles(base)
	e := stats.Entry{
		Method: method, Name: name, Requests: requests, Failures: failures,
		Min: uiMs(base * 0.31), Max: ps[len(ps)-1], Mean: uiMs(base * 1.37), Median: ps[0],
		Percentiles: ps, TotalSize: uint64(size * float64(requests)),
		CurrentRPS: rps, CurrentFailPerSec: fps,
	}
	if elapsed > 0 {
		e.RPS, e.FailPerSec = float64(requests)/elapsed, float64(failures)/elapsed
	}
	if requests == 0 {
		e = stats.Entry{Method: method, Name: name}
	}
	return e
}

// uiShopSnapshot is the shop's statistics after totalRequests requests
// over elapsed, at rps requests per second now.
func uiShopSnapshot(now time.Time, elapsed time.Duration, totalRequests float64, rps float64, rng *rand.Rand) *stats.Snapshot {
	s := &stats.Snapshot{Time: now, Start: now.Add(-elapsed), Duration: elapsed, Users: 0}
	sec := elapsed.Seconds()
	var reqs, fails uint64
	var size float64
	for _, ep := range uiShop {
		n := uint64(totalRequests * ep.Share * (0.97 + 0.06*rng.Float64()))
		nf := uint64(float64(n) * ep.FailRate)
		base := ep.BaseMs * (0.95 + 0.1*rng.Float64())
		s.Entries = append(s.Entries, uiEntry(ep.Method, ep.Name, base, n, nf, ep.Size, rps*ep.Share, rps*ep.Share*ep.FailRate, sec))
		reqs += n
		fails += nf
		size += ep.Size * float64(n)
	}
	uiSortEntries(s.Entries)
	s.Total = uiEntry("", stats.TotalName, 39, reqs, fails, size/math.Max(1, float64(reqs)), rps, rps*0.0062, sec)
	s.Failures = []stats.Failure{
		{Method: "POST", Name: "/checkout", Error: "HTTP 503 Service Unavailable", Occurrences: fails * 41 / 100},
		{Method: "GET", Name: "/search?q=[term]", Error: "timeout: no response within 10s", Occurrences: fails * 33 / 100},
		{Method: "GET", Name: "/api/recommendations", Error: "HTTP 500 Internal Server Error", Occurrences: fails * 15 / 100},
		{Method: "POST", Name: "/cart/add", Error: "connection reset by peer", Occurrences: fails * 7 / 100},
		{Method: "GET", Name: "/product/[id]", Error: "HTTP 404 Not Found", Occurrences: fails * 4 / 100},
	}
	s.Errors = []stats.Error{
		{
			Message: "checkout: expected an order id in the response, got none", Count: 57,
			Trace: "main.(*Shopper).Checkout(0xc000a1e2d0, {0x9c5e40, 0xc0003f8000})\n\t/src/shop/loadtest/shopper.go:88 +0x1d4\n" +
				"github.com/herdload/herd.(*executor).run(...)\n\t/go/pkg/mod/github.com/herdload/herd/userloop.go:142 +0x9b",
		},
		{
			Message: "panic: runtime error: index out of range [3] with length 3", Count: 4,
			Trace: "goroutine 1187 [running]:\nmain.pickProduct(...)\n\t/src/shop/loadtest/catalog.go:41 +0x8c\n" +
				"main.(*Shopper).Browse(0xc000a1e2d0, {0x9c5e40, 0xc0003f8000})\n\t/src/shop/loadtest/shopper.go:57 +0x11e",
		},
	}
	return s
}

func uiSortEntries(es []stats.Entry) {
	for i := 1; i < len(es); i++ { // insertion sort: small lists, no extra import
		for j := i; j > 0 && (es[j].Name < es[j-1].Name || es[j].Name == es[j-1].Name && es[j].Method < es[j-1].Method); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// uiShopUsers is the user count t seconds into the shop's run: a ramp to
// 200 at 2/s, then an edit to 300 after 10 minutes.
func uiShopUsers(t int) int {
	switch {
	case t < 600:
		return min(200, 2*t)
	default:
		return min(300, 200+5*(t-600))
	}
}

// uiShopRow is the total's history row t seconds into the shop's run.
func uiShopRow(start time.Time, t int, cumulative float64, rng *rand.Rand) (stats.HistoryRow, float64) {
	users := uiShopUsers(t)
	rps := float64(users) * 1.38 * (0.96 + 0.08*rng.Float64())
	failRate := 0.0055 + 0.002*rng.Float64()
	base := 31 + float64(users)/28 + 3*rng.Float64()
	if t >= 780 && t < 830 { // a checkout incident
		failRate *= 7
		base *= 1.9
	}
	if t < 2 {
		rps = 0
	}
	cumulative += rps
	ps := uiPercentiles(base)
	// Tail percentiles move more than the median.
	for i := 5; i < len(ps); i++ {
		ps[i] = time.Duration(float64(ps[i]) * (0.85 + 0.3*rng.Float64()))
	}
	if rps == 0 {
		ps = nil
	}
	return stats.HistoryRow{
		Time: start.Add(time.Duration(t) * time.Second), Users: users, Name: stats.TotalName,
		CurrentRPS: rps, CurrentFailPerSec: rps * failRate, CurrentPercentiles: ps,
		Requests: uint64(cumulative), Failures: uint64(cumulative * 0.0062),
		Median: uiMs(base), Mean: uiMs(base * 1.37), Min: uiMs(0.9), Max: uiMs(base * 40), AvgSize: 15_800,
	}, cumulative
}

// uiShopAPI is a fake running the shop for elapsed seconds (at least 1) of
// a 30-minute run, ticking once per every.
func uiShopAPI(elapsed int, every time.Duration) *uiFakeAPI {
	rng := rand.New(rand.NewPCG(7, 11))
	now := time.Now().Truncate(time.Second)
	start := now.Add(-time.Duration(elapsed) * time.Second)
	var hist []stats.HistoryRow
	cum := 0.0
	for t := 0; t <= elapsed; t++ {
		var row stats.HistoryRow
		row, cum = uiShopRow(start, t, cum, rng)
		hist = append(hist, row)
	}
	last := hist[len(hist)-1]
	f := &uiFakeAPI{
		every: every,
		status: Status{
			State: StateRunning, Users: last.Users, TargetUsers: last.Users, SpawnRate: 5,
			Host: "https://shop.example.test", StartedAt: start, RunTime: 30 * time.Minute,
			Deadline: start.Add(30 * time.Minute), ClassPicker: true,
			UserClasses: []UserClass{{Name: "Shopper", Weight: 4, Selected: true}, {Name: "APIClient", Weight: 1, Selected: true}},
		},
		history: hist,
		snap:    uiShopSnapshot(now, time.Duration(elapsed)*time.Second, cum, last.CurrentRPS, rng),
		tasks: TaskRatio{
			PerClass: map[string]ClassRatio{
				"Shopper": {Ratio: 0.8, Tasks: map[string]ClassRatio{
					"Browse": {Ratio: 0.6}, "Search": {Ratio: 0.15}, "AddToCart": {Ratio: 0.15},
					"Checkout": {Ratio: 0.1, Tasks: map[string]ClassRatio{"Pay": {Ratio: 0.7}, "Abandon": {Ratio: 0.3}}},
				}},
				"APIClient": {Ratio: 0.2, Tasks: map[string]ClassRatio{"Recommendations": {Ratio: 1}}},
			},
			Total: map[string]ClassRatio{
				"Shopper":   {Ratio: 0.8, Tasks: map[string]ClassRatio{"Browse": {Ratio: 0.48}, "Search": {Ratio: 0.12}, "AddToCart": {Ratio: 0.12}, "Checkout": {Ratio: 0.08}}},
				"APIClient": {Ratio: 0.2, Tasks: map[string]ClassRatio{"Recommendations": {Ratio: 0.2}}},
			},
		},
	}
	f.snap.Users = last.Users
	f.tick = func(f *uiFakeAPI, now time.Time) {
		t := len(f.history)
		row, c := uiShopRow(start, t, cum, rng)
		cum = c
		f.history = append(f.history, row)
		f.status.Users, f.status.TargetUsers = row.Users, row.Users
		f.snap = uiShopSnapshot(row.Time, row.Time.Sub(start), cum, row.CurrentRPS, rng)
		f.snap.Users = row.Users
	}
	return f
}

// uiManySnapshot has n endpoints with distinct, deterministic values.
func uiManySnapshot(now time.Time, n int, seq uint64) *stats.Snapshot {
	s := &stats.Snapshot{Time: now, Start: now.Add(-4 * time.Hour), Duration: 4 * time.Hour, Users: 500}
	var reqs, fails uint64
	for i := range n {
		method := [...]string{"GET", "POST", "PUT", "DELETE"}[i%4]
		name := fmt.Sprintf("/api/v1/resource-%04d/items", i)
		r := uint64(1_000+(i*7919)%100_000) + seq*uint64(1+i%5)
		f := r * uint64(i%7) / 1000
		base := 5 + float64((i*31)%400)
		s.Entries = append(s.Entries, uiEntry(method, name, base, r, f, float64(200+i%5000), float64(i%300)/10, float64(i%7)/100, 14_400))
		reqs += r
		fails += f
	}
	uiSortEntries(s.Entries)
	s.Total = uiEntry("", stats.TotalName, 60, reqs, fails, 2_700, 4_100, 12, 14_400)
	return s
}

// uiLongHistory is a 4-hour history at 1-second resolution.
func uiLongHistory(end time.Time, seconds int) []stats.HistoryRow {
	rng := rand.New(rand.NewPCG(3, 5))
	start := end.Add(-time.Duration(seconds) * time.Second)
	rows := make([]stats.HistoryRow, 0, seconds)
	cum := 0.0
	for t := range seconds {
		row, c := uiShopRow(start, t%1800, cum, rng) // the shop's pattern, repeated
		cum = c
		row.Time = start.Add(time.Duration(t) * time.Second)
		rows = append(rows, row)
	}
	return rows
}
