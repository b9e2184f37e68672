package herdws_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsServer is the WebSocket server the tests talk to, on 127.0.0.1. Each
// text message is a verb and an argument:
//
//	echo X    answered "echo X"
//	note X    not answered
//	push N    answered with N "tick i" messages, one "hb", then "pushed N"
//	close C   the server closes the connection with status C, reason "asked"
//	drop X    the server drops the connection without a close frame
//	silent X  never answered; signalled on silent
//	bcast X   sent back as it is (for Await)
//
// It counts connections ("connect", and "gone" when they end), each verb
// and each tick sent.
type wsServer struct {
	*httptest.Server
	silent chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	counts map[string]int
}

func newServer(t testing.TB) *wsServer {
	s := &wsServer{silent: make(chan struct{}, 100), counts: map[string]int{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serve)
	mux.HandleFunc("/nope", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

// close ends every connection and waits for their handlers: httptest does
// not wait for hijacked connections.
func (s *wsServer) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.Server.Close()
}

func (s *wsServer) add(key string, n int) {
	s.mu.Lock()
	s.counts[key] += n
	s.mu.Unlock()
}

// count returns how many of key the server saw.
func (s *wsServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// waitCount waits (bounded) until key reaches want: a message sent without
// a reply may still be on its way when the run ends.
func (s *wsServer) waitCount(t testing.TB, key string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.count(key) != want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := s.count(key); got != want {
		t.Errorf("server counted %d %q, herd %d", got, key, want)
	}
}

func (s *wsServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	s.add("connect", 1)
	defer s.add("gone", 1)
	ctx := s.ctx
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(string(data), " ")
		s.add(verb, 1)
		switch verb {
		case "echo", "bcast":
			err = c.Write(ctx, websocket.MessageText, data)
		case "push":
			n, _ := strconv.Atoi(arg)
			for i := 1; i <= n && err == nil; i++ {
				err = c.Write(ctx, websocket.MessageText, []byte("tick "+strconv.Itoa(i)))
				s.add("tick", 1)
			}
			if err == nil {
				err = c.Write(ctx, websocket.MessageText, []byte("hb"))
			}
			if err == nil {
				err = c.Write(ctx, websocket.MessageText, []byte("pushed "+arg))
			}
		case "close":
			code, _ := strconv.Atoi(arg)
			c.Close(websocket.StatusCode(code), "asked")
			return
		case "drop":
			return // the deferred CloseNow: no close handshake
		case "silent":
			s.silent <- struct{}{}
		}
		if err != nil {
			return
		}
	}
}
