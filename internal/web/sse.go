package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/report"
)

// sseWriteTimeout bounds each write to an event stream: a client that
// stops reading is dropped instead of holding its handler forever.
const sseWriteTimeout = 10 * time.Second

// hub builds the /api/events update once per tick, in one goroutine, and
// hands the same bytes to every subscriber. Each subscriber has a one-slot
// mailbox that always holds the latest update: a slow client skips
// intermediate updates and never blocks the hub.
type hub struct {
	build func() []byte // one SSE frame; nil to skip this tick
	every time.Duration
	done  <-chan struct{}
	log   *slog.Logger

	join, leave chan *subscriber
	subscribers atomic.Int32 // for tests
	// ticks replaces the ticker when set (tests drive the hub with it).
	ticks <-chan time.Time

	mu      sync.Mutex
	started bool
	stopped bool // set by wait; no start after it
	wg      sync.WaitGroup
}

// subscriber is one event stream's mailbox.
type subscriber struct {
	updates chan []byte // capacity 1: the latest frame not yet written
}

func newHub(build func() []byte, every time.Duration, done <-chan struct{}, log *slog.Logger) *hub {
	return &hub{
		build: build, every: every, done: done, log: log,
		join: make(chan *subscriber), leave: make(chan *subscriber),
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

// subscribe registers a new stream, which at once receives an update. It
// returns false once the server is closing.
func (h *hub) subscribe() (*subscriber, bool) {
	h.start()
	sub := &subscriber{updates: make(chan []byte, 1)}
	select {
	case h.join <- sub:
		return sub, true
	case <-h.done:
		return nil, false
	}
}

// unsubscribe forgets a stream.
func (h *hub) unsubscribe(sub *subscriber) {
	select {
	case h.leave <- sub:
	case <-h.done:
	}
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
	var last []byte // the latest frame
	var lastAt time.Time
	for {
		select {
		case <-h.done:
			return
		case sub := <-h.join:
			subs[sub] = struct{}{}
			h.subscribers.Store(int32(len(subs)))
			// A frame built less than a tick ago is fresh enough.
			if last == nil || time.Since(lastAt) >= h.every {
				if b := h.safeBuild(); b != nil {
					last, lastAt = b, time.Now()
				}
			}
			if last != nil {
				offer(sub, last)
			}
		case sub := <-h.leave:
			delete(subs, sub)
			h.subscribers.Store(int32(len(subs)))
		case <-ticks:
			if len(subs) == 0 {
				continue // nobody listens: build nothing
			}
			b := h.safeBuild()
			if b == nil {
				continue
			}
			last, lastAt = b, time.Now()
			for sub := range subs {
				offer(sub, last)
			}
		}
	}
}

// offer puts frame in sub's mailbox, replacing an unread older frame.
// Only the hub sends, so this never blocks.
func offer(sub *subscriber, frame []byte) {
	select {
	case sub.updates <- frame:
		return
	default:
	}
	select {
	case <-sub.updates: // drop the stale frame
	default:
	}
	select {
	case sub.updates <- frame:
	default:
	}
}

// safeBuild builds a frame, logging (not crashing on) a panic in the
// controller.
func (h *hub) safeBuild() (b []byte) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("web: building the live update panicked", "panic", v)
			b = nil
		}
	}()
	return h.build()
}

// buildUpdate renders one /api/events frame: an "update" event whose data
// is {"state": /api/state, "stats": /api/stats, "thresholds":
// /api/thresholds, "point": latest history row or null}.
func (s *Server) buildUpdate() []byte {
	now := s.now()
	state, err := json.Marshal(newStateDoc(s.ctl.Status(), now))
	if err != nil {
		s.log.Error("web: encode live state", "err", err)
		return nil
	}
	st, err := report.MarshalStatsJSON(s.snapshot())
	if err != nil {
		s.log.Error("web: encode live stats", "err", err)
		return nil
	}
	thresholds, err := json.Marshal(thresholdDocs(s.ctl.Thresholds()))
	if err != nil {
		s.log.Error("web: encode live thresholds", "err", err)
		return nil
	}
	point := []byte("null")
	if row := lastRow(s.ctl.History()); row != nil {
		if point, err = report.MarshalHistoryRowJSON(row); err != nil {
			s.log.Error("web: encode live history point", "err", err)
			return nil
		}
	}
	// Compact JSON holds no newline, so it fits one data: line.
	var b bytes.Buffer
	b.Grow(len(state) + len(st) + len(thresholds) + len(point) + 80)
	b.WriteString("event: update\ndata: {\"state\":")
	b.Write(state)
	b.WriteString(",\"stats\":")
	b.Write(st)
	b.WriteString(",\"thresholds\":")
	b.Write(thresholds)
	b.WriteString(",\"point\":")
	b.Write(point)
	b.WriteString("}\n\n")
	return b.Bytes()
}

// handleEvents is /api/events, the Server-Sent Events stream: a reconnect
// delay, an update at once, then one per tick and a comment line as a
// heartbeat. It ends when the client goes or the server closes.
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
		case b := <-sub.updates:
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
