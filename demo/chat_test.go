package demo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/herdload/herd/demo"
)

type chatMsg struct {
	Type   string `json:"type"`
	ID     int64  `json:"id"`
	Text   string `json:"text"`
	From   string `json:"from"`
	User   string `json:"user"`
	Online int64  `json:"online"`
	Error  string `json:"error"`
}

func dialChat(t *testing.T, ctx context.Context, srv *demo.Server) (*websocket.Conn, chatMsg) {
	t.Helper()
	c, _, err := websocket.Dial(ctx, "ws://"+srv.Addr+"/ws/chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, readChat(t, ctx, c)
}

func readChat(t *testing.T, ctx context.Context, c *websocket.Conn) chatMsg {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m chatMsg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	return m
}

func writeChat(t *testing.T, ctx context.Context, c *websocket.Conn, m map[string]any) {
	t.Helper()
	b, _ := json.Marshal(m)
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// The chat room welcomes, echoes to the sender, broadcasts to everyone,
// closes on a bad message, counts it all, and Close ends its connections.
func TestChat(t *testing.T) {
	t.Parallel()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound, not a budget
	defer cancel()

	a, hello := dialChat(t, ctx, srv)
	if hello.Type != "welcome" || hello.User == "" || hello.Online != 1 {
		t.Errorf("welcome %+v", hello)
	}
	b, hello2 := dialChat(t, ctx, srv)
	if hello2.Online != 2 || hello2.User == hello.User {
		t.Errorf("second welcome %+v (first %+v)", hello2, hello)
	}

	writeChat(t, ctx, a, map[string]any{"type": "echo", "id": 7, "text": "hi"})
	if m := readChat(t, ctx, a); m.Type != "echo" || m.ID != 7 || m.Text != "hi" {
		t.Errorf("echo %+v", m)
	}
	writeChat(t, ctx, b, map[string]any{"type": "say", "id": 8, "text": "hello all"})
	for _, c := range []*websocket.Conn{a, b} {
		if m := readChat(t, ctx, c); m.Type != "chat" || m.From != hello2.User || m.ID != 8 || m.Text != "hello all" {
			t.Errorf("broadcast %+v", m)
		}
	}

	if err := a.Write(ctx, websocket.MessageText, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Read(ctx); websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
		t.Errorf("after a bad message: %v, want status 1003", err)
	}

	got := srv.Chat()
	want := demo.ChatCounts{Connections: 2, Online: got.Online, Echoes: 1, Says: 1, Delivered: 2}
	if got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if n := srv.Requests()["GET /ws/chat"]; n != 2 {
		t.Errorf("GET /ws/chat counted %d, want 2", n)
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Read(ctx); err == nil {
		t.Error("a chat connection outlived the server's Close")
	}
	if n := srv.Chat().Online; n != 0 {
		t.Errorf("%d members online after Close", n)
	}
}

// An echo fails at the error rate with an error message of the same id.
func TestChatErrors(t *testing.T) {
	t.Parallel()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _ := dialChat(t, ctx, srv)
	writeChat(t, ctx, c, map[string]any{"type": "echo", "id": 3, "text": "x"})
	if m := readChat(t, ctx, c); m.Type != "error" || m.ID != 3 || m.Error == "" {
		t.Errorf("echo at error rate 1: %+v", m)
	}
}
