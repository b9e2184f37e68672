package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sseBlock is one blank-line-terminated block of an event stream.
type sseBlock struct {
	event, data, comment, retry string
}

// readBlock reads the next block.
func readBlock(br *bufio.Reader) (sseBlock, error) {
	var b sseBlock
	seen := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return b, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if seen {
				return b, nil
			}
			continue
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			b.comment = value
		case "event":
			b.event = value
		case "data":
			b.data += value
		case "retry":
			b.retry = value
		}
	}
}

// openEvents connects to /api/events; cancel ends the request.
func openEvents(t *testing.T, url string) (*http.Response, *bufio.Reader, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return resp, bufio.NewReader(resp.Body), cancel
}

// nextUpdate reads blocks until an update event and decodes it.
func nextUpdate(t *testing.T, br *bufio.Reader) map[string]json.RawMessage {
	t.Helper()
	for {
		b, err := readBlock(br)
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		if b.event != "update" {
			continue
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(b.data), &doc); err != nil {
			t.Fatalf("update data is not JSON: %v\n%s", err, b.data)
		}
		return doc
	}
}

// eventually polls cond until it holds or a deadline passes that only a
// hang reaches.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	fake := newFake()
	s, ts := newTestServer(t, Options{PushEvery: 10 * time.Millisecond}, fake)

	resp, br, cancel := openEvents(t, ts.URL)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	first, err := readBlock(br)
	if err != nil || first.retry != "2000" {
		t.Fatalf("first block %+v (%v), want retry: 2000", first, err)
	}

	up := nextUpdate(t, br)
	for _, k := range []string{"full", "seq", "client", "rows", "pending", "state", "stats", "thresholds", "point"} {
		if _, ok := up[k]; !ok {
			t.Errorf("update lacks %q", k)
		}
	}
	var state stateDoc
	json.Unmarshal(up["state"], &state)
	if state.State != StateReady {
		t.Errorf("state = %q", state.State)
	}
	var point map[string]any
	if err := json.Unmarshal(up["point"], &point); err != nil || point["user_count"] != float64(3) {
		t.Errorf("point = %s, want the last history row", up["point"])
	}

	if string(up["full"]) != "true" || string(up["rows"]) != "2" || string(up["pending"]) != "0" {
		t.Errorf("first update: full %s, rows %s, pending %s; want the whole table of 2 rows", up["full"], up["rows"], up["pending"])
	}
	if string(up["thresholds"]) != "[]" {
		t.Errorf("thresholds = %s without any, want []", up["thresholds"])
	}

	// Later updates follow the controller.
	fake.mu.Lock()
	fake.status.State = StateRunning
	fake.history = nil
	fake.thresholds = sampleThresholds(t)
	fake.mu.Unlock()
	for {
		up = nextUpdate(t, br)
		json.Unmarshal(up["state"], &state)
		if state.State == StateRunning {
			break
		}
	}
	if string(up["point"]) != "null" {
		t.Errorf("point = %s without history, want null", up["point"])
	}
	var thr []thresholdDoc
	if err := json.Unmarshal(up["thresholds"], &thr); err != nil || len(thr) != 3 || thr[1].Status != "fail" {
		t.Errorf("thresholds = %s (%v), want the three results", up["thresholds"], err)
	}

	if n := s.hub.subscribers.Load(); n != 1 {
		t.Errorf("%d subscribers, want 1", n)
	}
	cancel()
	eventually(t, "the subscriber to leave", func() bool { return s.hub.subscribers.Load() == 0 })
}

func TestEventsHeartbeat(t *testing.T) {
	t.Parallel()
	s := New(Options{Assets: testAssets(), PushEvery: time.Hour}, newFake())
	s.heartbeat = 5 * time.Millisecond
	ts := httpTestServer(t, s)
	_, br, _ := openEvents(t, ts.URL)
	nextUpdate(t, br) // at once, though the next tick is an hour away
	for {
		b, err := readBlock(br)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(b.comment, "heartbeat") {
			break
		}
	}
}

func TestCloseEndsEventStreams(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{PushEvery: time.Hour}, newFake())
	_, br1, _ := openEvents(t, ts.URL)
	_, br2, _ := openEvents(t, ts.URL)
	nextUpdate(t, br1)
	nextUpdate(t, br2)

	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, br := range []*bufio.Reader{br1, br2} {
		if _, err := io.Copy(io.Discard, br); err != nil {
			t.Errorf("stream ended with %v, want a clean end", err)
		}
	}
	if err := s.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// New streams are refused once closed.
	resp, body := get(t, ts, "/api/events")
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
}

func TestEventsHead(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{}, newFake())
	resp, _ := do(t, ts, http.MethodHead, "/api/events", nil, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("HEAD: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if s.hub.subscribers.Load() != 0 {
		t.Error("HEAD subscribed")
	}
}

// TestHubFansOutOneBuild checks that the hub takes each tick once for
// every subscriber, that a subscriber that never reads holds one wake-up
// and then sees the latest tick, never blocking the others, and that
// leaving frees it.
func TestHubFansOutOneBuild(t *testing.T) {
	t.Parallel()
	build := func(seq uint64) *liveTick { return &liveTick{} }
	done := make(chan struct{})
	ticks := make(chan time.Time)
	h := newHub(build, time.Hour, done, nil)
	h.ticks = ticks
	defer func() { close(done); h.wait() }()

	// The first subscriber gets a fresh tick, the next ones share it.
	slow, _ := h.subscribe()
	var readers []*subscriber
	for range 9 {
		sub, _ := h.subscribe()
		readers = append(readers, sub)
	}
	for _, sub := range readers {
		<-sub.wake
		if seq := h.latest.Load().seq; seq != 1 {
			t.Fatalf("joined at tick %d, want the shared first", seq)
		}
	}
	const ticksSent = 20
	for i := range ticksSent {
		ticks <- time.Now()
		for _, sub := range readers {
			<-sub.wake
			if seq := h.latest.Load().seq; int(seq) != i+2 {
				t.Fatalf("tick %d: woken at tick %d", i, seq)
			}
		}
	}
	if b := h.builds.Load(); b != 1+ticksSent {
		t.Errorf("%d builds for %d ticks and 10 subscribers, want %d", b, ticksSent, 1+ticksSent)
	}
	// The subscriber that never read holds one wake-up, for the latest.
	if n := len(slow.wake); n != 1 {
		t.Errorf("slow subscriber holds %d wake-ups, want 1", n)
	}
	if h.client(slow.id) != slow {
		t.Error("a subscriber is not found by its id")
	}
	h.unsubscribe(slow)
	for _, sub := range readers {
		h.unsubscribe(sub)
	}
	eventually(t, "subscribers to leave", func() bool { return h.subscribers.Load() == 0 })
	if h.client(slow.id) != nil {
		t.Error("a subscriber that left is still found by its id")
	}
	// Without subscribers a tick builds nothing.
	ticks <- time.Now()
	ticks <- time.Now() // the first was handled once the second is taken
	if b := h.builds.Load(); b != 1+ticksSent {
		t.Errorf("built %d updates for nobody", b-1-ticksSent)
	}
}

// TestHubIdle checks that nothing is built without subscribers, and that
// the hub is not even started by other routes.
func TestHubIdle(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{PushEvery: time.Millisecond}, newFake())
	get(t, ts, "/api/state")
	s.hub.mu.Lock()
	started := s.hub.started
	s.hub.mu.Unlock()
	if started || s.hub.builds.Load() != 0 {
		t.Errorf("hub started %v with %d builds before any subscriber", started, s.hub.builds.Load())
	}
}

// TestHubSurvivesPanickingController: a build that panics (the
// subscription's) is logged and skipped; the next tick builds again. The
// test drives the ticks, so a busy machine cannot add one.
func TestHubSurvivesPanickingController(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	ticks := make(chan time.Time)
	var calls atomic.Int64
	h := newHub(func(uint64) *liveTick {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return &liveTick{}
	}, time.Hour, done, discardLogger())
	h.ticks = ticks
	defer func() { close(done); h.wait() }()
	sub, _ := h.subscribe()
	ticks <- time.Now()
	<-sub.wake
	if tk := h.latest.Load(); tk == nil || tk.seq != 1 {
		t.Errorf("latest tick %+v after a panic, want the next one, numbered 1", tk)
	}
}

func TestSubscribeAfterClose(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	h := newHub(func(uint64) *liveTick { return nil }, time.Millisecond, done, nil)
	close(done)
	h.wait()
	if _, ok := h.subscribe(); ok {
		t.Error("subscribed after close")
	}
}
