package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/herdload/herd"
	"github.com/herdload/herd/demo"
	"github.com/herdload/herd/herdws"
)

// The example runs against the demo shop, and every WebSocket row of its
// statistics counts what the chat room saw.
func TestChatAgainstDemo(t *testing.T) {
	t.Parallel()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{LatencyScale: -1, ErrorRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tt := test()
	tt.Users[0].Wait = herd.Constant(0)
	var s *herd.StatsSnapshot
	tt.Events.OnQuitting(func(q *herd.Quit) { s = q.Stats })
	var out bytes.Buffer
	// A bounded run; users finish their task at the stop, so each side
	// counts the same messages.
	args := []string{"--headless", "-u", "5", "-r", "100", "-t", "1s", "--stop-timeout", "10s", "--only-summary", "-H", srv.URL}
	if code, err := tt.Run(context.Background(), herd.Env{Args: args, Stdout: &out, Stderr: &out}); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	rows := map[string]herd.StatsEntry{}
	for _, e := range s.Entries {
		rows[e.Method+" "+e.Name] = e
	}
	chat := srv.Chat()
	for _, c := range []struct {
		row  string
		want int64
	}{
		{"WS /ws/chat", chat.Connections},
		{"WS echo", chat.Echoes},
		{"WS say", chat.Says},
		{"WSR welcome", chat.Connections},
		{"POST /api/login", srv.Requests()["POST /api/login"]},
	} {
		if got := rows[c.row].Requests; got == 0 || int64(got) != c.want {
			t.Errorf("%s: herd counted %d, the shop %d", c.row, got, c.want)
		}
	}
	// Every say reaches each member online: the sender's copy answers its
	// request, the others' are pushes (or were dropped, or came after the
	// member left).
	if pushes := rows[herdws.KindPush+" chat"].Requests; int64(pushes)+chat.Says > chat.Delivered {
		t.Errorf("%d chat pushes + %d says > %d delivered", pushes, chat.Says, chat.Delivered)
	}
	if s.Total.Failures != 0 {
		t.Errorf("failures: %+v", s.Failures)
	}
}
