package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The chat room behind GET /ws/chat, a WebSocket route for socket users
// (herdws). Every message is one JSON object with a "type":
//
//	on connect        <- {"type":"welcome","user":"guest-7","online":3}
//	{"type":"echo","id":1,"text":"hi"}
//	                  <- {"type":"echo","id":1,"text":"hi"} to the sender, after a
//	                     simulated latency; or, at the error rate,
//	                     {"type":"error","id":1,"error":"internal server error (simulated)"}
//	{"type":"say","id":2,"text":"hello"}
//	                  <- {"type":"chat","from":"guest-7","id":2,"text":"hello"} to
//	                     everyone in the room, the sender included (a push to
//	                     the others)
//
// A message that is not JSON or has another type closes the connection
// with status 1003; one larger than 4 KiB with 1009.
const (
	chatMaxMessage = 4 << 10
	chatMaxConns   = 10000 // more are answered 503
	chatQueue      = 256   // messages waiting for one slow reader; more are dropped
	chatMedian     = 2 * time.Millisecond
	chatSigma      = 0.5
)

// ChatCounts is what the chat room has seen (Shop.Chat).
type ChatCounts struct {
	Connections int64 // accepted since the start
	Online      int64 // connected now
	Echoes      int64 // echo messages received
	Says        int64 // say messages received
	Delivered   int64 // chat messages queued to members (one say reaches everyone online)
	Dropped     int64 // chat messages dropped for a member whose queue was full
}

// chatMsg is the one shape of every chat message.
type chatMsg struct {
	Type   string `json:"type"`
	ID     int64  `json:"id,omitempty"`
	Text   string `json:"text,omitempty"`
	From   string `json:"from,omitempty"`
	User   string `json:"user,omitempty"`
	Online int64  `json:"online,omitempty"`
	Error  string `json:"error,omitempty"`
}

// chatRoom holds the members of the room and waits for their goroutines.
type chatRoom struct {
	mu      sync.Mutex
	members map[*chatMember]struct{}
	closed  bool
	wg      sync.WaitGroup

	next                                    atomic.Int64
	conns, echoes, says, delivered, dropped atomic.Int64
}

// chatMember is one connection: its name and the queue its writer drains.
type chatMember struct {
	name  string
	queue chan []byte
}

func newChatRoom() *chatRoom { return &chatRoom{members: make(map[*chatMember]struct{})} }

// Chat returns what the chat room (GET /ws/chat) has seen so far.
func (s *Shop) Chat() ChatCounts {
	r := s.chat
	r.mu.Lock()
	online := int64(len(r.members))
	r.mu.Unlock()
	return ChatCounts{
		Connections: r.conns.Load(), Online: online, Echoes: r.echoes.Load(),
		Says: r.says.Load(), Delivered: r.delivered.Load(), Dropped: r.dropped.Load(),
	}
}

// Chat returns what the running shop's chat room has seen; see Shop.Chat.
func (s *Server) Chat() ChatCounts { return s.shop.Chat() }

// join adds a member, unless the room is closed or full.
func (r *chatRoom) join() (*chatMember, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.members) >= chatMaxConns {
		return nil, false
	}
	m := &chatMember{name: "guest-" + strconv.FormatInt(r.next.Add(1), 10), queue: make(chan []byte, chatQueue)}
	r.members[m] = struct{}{}
	r.wg.Add(2) // the member's reader (the handler) and writer
	r.conns.Add(1)
	return m, true
}

func (r *chatRoom) leave(m *chatMember) {
	r.mu.Lock()
	delete(r.members, m)
	r.mu.Unlock()
}

// broadcast queues msg to every member; a member whose queue is full
// misses it rather than slowing the room down.
func (r *chatRoom) broadcast(msg []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for m := range r.members {
		select {
		case m.queue <- msg:
			r.delivered.Add(1)
		default:
			r.dropped.Add(1)
		}
	}
}

// close refuses new members and waits for the goroutines of those
// connected, whose connections end with the server's context.
func (r *chatRoom) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
}

func (s *Shop) chatSocket(w http.ResponseWriter, req *http.Request) {
	room := s.chat
	m, ok := room.join()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "chat room full or closing")
		return
	}
	defer room.wg.Done()
	defer room.leave(m)
	c, err := websocket.Accept(w, req, nil)
	if err != nil {
		room.wg.Done() // no writer
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(chatMaxMessage)
	ctx, cancel := context.WithCancel(req.Context())
	go func() { // the writer: ends when ctx does
		defer room.wg.Done()
		defer cancel()
		for {
			select {
			case msg := <-m.queue:
				if c.Write(ctx, websocket.MessageText, msg) != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	defer cancel()
	room.mu.Lock()
	online := int64(len(room.members))
	room.mu.Unlock()
	m.queue <- chatJSON(chatMsg{Type: "welcome", User: m.name, Online: online})
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var in chatMsg
		if typ != websocket.MessageText || json.Unmarshal(data, &in) != nil {
			c.Close(websocket.StatusUnsupportedData, "bad message")
			return
		}
		switch in.Type {
		case "echo":
			room.echoes.Add(1)
			d, fail := s.draw(chatMedian, chatSigma)
			if !s.wait(ctx, d) {
				return
			}
			out := chatMsg{Type: "echo", ID: in.ID, Text: in.Text}
			if fail {
				out = chatMsg{Type: "error", ID: in.ID, Error: "internal server error (simulated)"}
			}
			select {
			case m.queue <- chatJSON(out):
			case <-ctx.Done():
				return
			}
		case "say":
			room.says.Add(1)
			room.broadcast(chatJSON(chatMsg{Type: "chat", From: m.name, ID: in.ID, Text: in.Text}))
		default:
			c.Close(websocket.StatusUnsupportedData, "unknown type")
			return
		}
	}
}

// chatJSON encodes a chat message (it cannot fail).
func chatJSON(m chatMsg) []byte {
	b, _ := json.Marshal(m)
	return b
}
