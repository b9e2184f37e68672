package herdws_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/coder/websocket"
	"github.com/herdload/herd"
	"github.com/herdload/herd/herdws"
)

// Echoer dials its socket in OnStart, closes it in OnStop, and times one
// request/reply exchange in its task.
type Echoer struct{ ws *herdws.Conn }

func (u *Echoer) OnStart(ctx context.Context) error {
	var err error
	u.ws, err = herdws.Dial(ctx, "/echo") // relative to -H, http:// becoming ws://
	return err
}

func (u *Echoer) OnStop(context.Context) error { return u.ws.Close() }

func (u *Echoer) Tasks() []herd.Task {
	return []herd.Task{{Name: "echo", Run: func(ctx context.Context) error {
		reply, err := u.ws.Request(ctx, "echo", herdws.Text("hello"), nil) // nil: the next message answers
		if err != nil {
			return err
		}
		fmt.Println("reply:", reply)
		return herd.ErrStopTest // once is enough for an example
	}}}
}

func Example() {
	var handlers sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(r.Context())
			if err != nil || c.Write(r.Context(), typ, data) != nil {
				return
			}
		}
	}))
	defer srv.Close()

	test := &herd.Test{Users: []*herd.UserType{{Name: "Echoer", New: func() herd.User { return new(Echoer) }}}}
	test.Events.OnQuitting(func(q *herd.Quit) {
		for _, e := range q.Stats.Entries {
			fmt.Printf("%s %s: %d requests, %d failures\n", e.Method, e.Name, e.Requests, e.Failures)
		}
	})
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-H", srv.URL}, Stdout: io.Discard, Stderr: io.Discard})
	handlers.Wait() // the user closed its connection at its stop
	// Output:
	// reply: hello
	// WS /echo: 1 requests, 0 failures
	// WS echo: 1 requests, 0 failures
}
