// Command websocket load-tests the demo shop's chat room (GET /ws/chat)
// with herdws: each user logs in over HTTP, opens a WebSocket with the
// session's cookies, then echoes messages (request/reply matched by id)
// and says things to the room (waiting for its own broadcast), while the
// other users' broadcasts are counted as pushes. Without -H it tests
// herd's built-in demo shop:
//
//	go run ./examples/websocket --headless -u 50 -r 10 -t 30s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/herdws"
)

// chatMsg is the chat room's one message shape.
type chatMsg struct {
	Type  string `json:"type"`
	ID    int64  `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
	From  string `json:"from,omitempty"`
	User  string `json:"user,omitempty"`
	Error string `json:"error,omitempty"`
}

var ids atomic.Int64 // message ids, unique in the run

type Chatter struct {
	herd.HTTPUser // the login, and the cookies the socket's handshake carries
	ws            *herdws.Conn
}

func (u *Chatter) OnStart(ctx context.Context) error {
	login := map[string]string{"username": "chatter", "password": "secret"}
	if err := u.Client.Post(ctx, "/api/login", herd.JSON(login)).Err(); err != nil {
		return err
	}
	var err error
	u.ws, err = herdws.Dial(ctx, "/ws/chat",
		herdws.HTTPClient(u.Client.HTTP),
		herdws.Pushes(u.push),
	)
	return err
}

// push names what the room sends unasked (other users' chat lines, the
// welcome) by its type. It runs on the connection's reader goroutine.
func (u *Chatter) push(m herdws.Message) string {
	var in chatMsg
	if json.Unmarshal(m.Data, &in) != nil {
		return "unreadable"
	}
	return in.Type
}

func (u *Chatter) OnStop(ctx context.Context) error { return u.ws.Close() }

func (u *Chatter) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "echo", Weight: 3, Run: u.echo},
		{Name: "say", Run: u.say},
	}
}

// echo sends a message and waits for its echo, matched by id: one request.
func (u *Chatter) echo(ctx context.Context) error {
	id := ids.Add(1)
	msg, _ := json.Marshal(chatMsg{Type: "echo", ID: id, Text: "ping"})
	_, err := u.ws.Request(ctx, "echo", herdws.Message{Data: msg}, answer(id, "echo"))
	return err
}

// say speaks to the room and waits until the room broadcasts it back.
func (u *Chatter) say(ctx context.Context) error {
	id := ids.Add(1)
	msg, _ := json.Marshal(chatMsg{Type: "say", ID: id, Text: "hello, room"})
	_, err := u.ws.Request(ctx, "say", herdws.Message{Data: msg}, answer(id, "chat"))
	return err
}

// answer claims the message of the given type and id, and fails the
// exchange when the room answers that id with an error.
func answer(id int64, typ string) herdws.Reply {
	return func(m herdws.Message) error {
		var in chatMsg
		if json.Unmarshal(m.Data, &in) != nil || in.ID != id {
			return herdws.Skip
		}
		switch in.Type {
		case typ:
			return nil
		case "error":
			return errors.New(in.Error)
		}
		return herdws.Skip
	}
}

func test() *herd.Test {
	return &herd.Test{
		Users: []*herd.UserType{{
			Name: "Chatter",
			New:  func() herd.User { return new(Chatter) },
			Wait: herd.Between(500*time.Millisecond, 2*time.Second),
		}},
		FallbackHost: demo.FallbackHost, // no -H given: serve herd's demo shop on loopback
	}
}

func main() { herd.Main(test()) }
