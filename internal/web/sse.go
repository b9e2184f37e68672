package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// sseWriteTimeout bounds each write to an event stream: a client that
// stops reading is dropped instead of holding its handler forever.
const sseWriteTimeout = 10 * time.Second

// hub takes the test's state once per tick, in one goroutine, while
// somebody listens, and publishes it as an immutable liveTick. Every stream
// builds its own frames from the latest tick (frame.go): the whole table
// first, then only what changed since the frame it last wrote, so a slow
// client skips ticks without missing a change, and never blocks the hub.
type hub struct {
	build func(seq uint64) *liveTick // the state as of tick seq; nil to skip it
	every time.Duration
	done  <-chan struct{}
	log   *slog.Logger

	join, leave chan *subscriber
	subscribers atomic.Int32 // for tests
	builds      atomic.Int64 // for tests
	// ticks replaces the ticker when set (tests drive the hub with it).
	ticks <-chan time.Time

	latest atomic.Pointer[liveTick]

	mu      sync.Mutex
	started bool
	stopped bool                   // set by wait; no start after it
	clients map[string]*subscriber // by id, for POST /api/view
	wg      sync.WaitGroup
}

// subscriber is one event stream.
type subscriber struct {
	id   string
	wake chan struct{} // capacity 1: a tick newer than the last frame is out

	// Only the stream's goroutine uses these (frame.go).
	last  uint64 // seq of the tick of the last frame written; 0: none yet
	epoch uint64 // the items' numbering of the last frame
	// sent is, per list and item, the seq of the tick whose values it
	// last sent.
	sent [lists][]uint64

	mu   sync.Mutex
	view []viewKey // the rows the client shows (POST /api/view)
}

func newHub(build func(seq uint64) *liveTick, every time.Duration, done <-chan struct{}, log *slog.Logger) *hub {
	return &hub{
		build: build, every: every, done: done, log: log,
		join: make(chan *subscriber), leave: make(chan *subscriber),
		clients: make(map[string]*subscriber),
	}
}

// start runs the hub goroutine on first use; it ends when done is closed.
func (h *hub) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.stopped {
		return
	}
	h.started = true
	h.wg.Add(1)
	go h.run()
}

// wait waits for the hub goroutine to end (after done is closed).
func (h *hub) wait() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.wg.Wait()
}

// subscribe registers a new stream, which is woken at once. It returns
// false once the server is closing.
func (h *hub) subscribe() (*subscriber, bool) {
	h.start()
	var id [8]byte
	rand.Read(id[:]) // never fails (crypto/rand)
	sub := &subscriber{id: hex.EncodeToString(id[:]), wake: make(chan struct{}, 1)}
	select {
	case h.join <- sub:
	case <-h.done:
		return nil, false
	}
	h.mu.Lock()
	h.clients[sub.id] = sub
	h.mu.Unlock()
	return sub, true
}

// unsubscribe forgets a stream.
func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	delete(h.clients, sub.id)
	h.mu.Unlock()
	select {
	case h.leave <- sub:
	case <-h.done:
	}
}

// client is the stream with the given id, or nil.
func (h *hub) client(id string) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clients[id]
}

func (h *hub) run() {
	defer h.wg.Done()
	ticks := h.ticks
	if ticks == nil {
		t := time.NewTicker(h.every)
		defer t.Stop()
		ticks = t.C
	}
	subs := make(map[*subscriber]struct{})
	var seq uint64
	var lastAt time.Time
	tick := func() bool {
		t := h.safeBuild(seq + 1)
		if t == nil {
			return false
		}
		seq, lastAt = t.seq, time.Now()
		h.latest.Store(t)
		return true
	}
	for {
		select {
		case <-h.done:
			return
		case sub := <-h.join:
			subs[sub] = struct{}{}
			h.subscribers.Store(int32(len(subs)))
			// A tick taken less than a period ago is fresh enough.
			if h.latest.Load() == nil || time.Since(lastAt) >= h.every {
				tick()
			}
			if h.latest.Load() != nil {
				wake(sub)
			}
		case sub := <-h.leave:
			delete(subs, sub)
			h.subscribers.Store(int32(len(subs)))
		case <-ticks:
			if len(subs) == 0 {
				continue // nobody listens: take nothing
			}
			if tick() {
				for sub := range subs {
					wake(sub)
				}
			}
		}
	}
}

// wake tells sub that a newer tick is out; a wake not yet taken stands for
// it. Only the hub sends, so this never blocks.
func wake(sub *subscriber) {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// safeBuild takes tick seq, logging (not crashing on) a panic in the
// controller.
func (h *hub) safeBuild(seq uint64) (t *liveTick) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("web: building the live update panicked", "panic", v)
			t = nil
		}
	}()
	h.builds.Add(1)
	t = h.build(seq)
	if t != nil {
		t.seq = seq
	}
	return t
}

// handleEvents is /api/events, the Server-Sent Events stream: a reconnect
// delay, an update at once with the whole table, then one per tick with
// what changed, and a comment line as a heartbeat (docs/web-api.md). It
// ends when the client goes or the server closes.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: don't buffer the stream
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	sub, ok := s.hub.subscribe()
	if !ok {
		writeText(w, http.StatusServiceUnavailable, "server closing\n")
		return
	}
	defer s.hub.unsubscribe(sub)

	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // leave the connection as found
	send := func(b []byte) error {
		if err := rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	w.WriteHeader(http.StatusOK)
	if err := send([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	heartbeat := time.NewTicker(s.heartbeat)
	defer heartbeat.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-sub.wake:
			t := s.hub.latest.Load()
			if t == nil || t.seq == sub.last {
				continue
			}
			var b []byte
			if b, err = sub.frame(t); err != nil {
				s.log.Error("web: encode the live update", "err", err)
				return
			}
			err = send(b)
		case t := <-heartbeat.C:
			err = send(fmt.Appendf(nil, ": heartbeat %d\n\n", t.Unix()))
		}
		if err != nil {
			s.log.Debug("web: event stream ended", "err", err)
			return
		}
	}
}
