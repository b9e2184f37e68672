package herdws_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdws"
	"github.com/herdload/herd/internal/runtest"
)

// The package's tests run through runtest.
var (
	run      = runtest.Run
	entry    = runtest.Entry
	failures = runtest.Failures
)

// user is a test user: it dials /ws in OnStart and runs task.
type user struct {
	ws   *herdws.Conn
	opts []herdws.Option
	task func(ctx context.Context, ws *herdws.Conn) error
}

func (u *user) OnStart(ctx context.Context) error {
	var err error
	u.ws, err = herdws.Dial(ctx, "/ws", u.opts...)
	return err
}

func (u *user) OnStop(context.Context) error { return u.ws.Close() }

func (u *user) Tasks() []herd.Task {
	return []herd.Task{{Name: "task", Run: func(ctx context.Context) error { return u.task(ctx, u.ws) }}}
}

func userType(name string, task func(ctx context.Context, ws *herdws.Conn) error, opts ...herdws.Option) *herd.UserType {
	return &herd.UserType{Name: name, New: func() herd.User { return &user{task: task, opts: opts} }}
}

// prefix claims the messages that start with p.
func prefix(p string) herdws.Reply {
	return func(m herdws.Message) error {
		if strings.HasPrefix(m.String(), p) {
			return nil
		}
		return herdws.Skip
	}
}

// Every kind of row counts what the server saw: connects, request/reply
// exchanges matched by id, sends, and pushes named by Pushes ("hb" left
// out).
func TestCountsMatchServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var tasks, ids atomic.Int64
	task := func(ctx context.Context, ws *herdws.Conn) error {
		id := "echo " + strconv.FormatInt(ids.Add(1), 10)
		reply, err := ws.Request(ctx, "echo", herdws.Text(id), func(m herdws.Message) error {
			if m.String() != id {
				return herdws.Skip
			}
			return nil
		})
		if err != nil {
			return err
		}
		if reply.String() != id {
			t.Errorf("reply %q to %q", reply, id)
		}
		if err := ws.Send(ctx, "note", herdws.Text("note x")); err != nil {
			return err
		}
		if _, err := ws.Request(ctx, "push", herdws.Text("push 3"), prefix("pushed ")); err != nil {
			return err
		}
		if tasks.Add(1) >= 40 {
			return herd.ErrStopTest
		}
		return nil
	}
	pushes := herdws.Pushes(func(m herdws.Message) string {
		if m.String() == "hb" {
			return ""
		}
		name, _, _ := strings.Cut(m.String(), " ")
		return name
	})
	s := run(t, []string{"-u", "4", "-r", "100", "--stop-timeout", "10s", "-H", srv.URL}, userType("Chatter", task, pushes))

	if s.Total.Failures != 0 {
		t.Errorf("failures: %+v", s.Failures)
	}
	for _, c := range []struct{ kind, name, key string }{
		{herdws.KindWait, "/ws", "connect"},
		{herdws.KindWait, "echo", "echo"},
		{herdws.KindSend, "note", "note"},
		{herdws.KindWait, "push", "push"},
		{herdws.KindPush, "tick", "tick"},
	} {
		e := entry(s, c.kind, c.name)
		if e.Requests == 0 {
			t.Errorf("%s %s: no requests", c.kind, c.name)
		}
		srv.waitCount(t, c.key, int(e.Requests))
	}
	if e := entry(s, herdws.KindPush, "hb"); e.Requests != 0 {
		t.Errorf("hb counted %d times, Pushes named it \"\"", e.Requests)
	}
	if e := entry(s, herdws.KindPush, "tick"); e.TotalSize != e.Requests*uint64(len("tick 1")) {
		t.Errorf("tick size %d for %d ticks", e.TotalSize, e.Requests)
	}
	if e := entry(s, herdws.KindWait, "echo"); e.Min <= 0 {
		t.Errorf("echo min response time %v", e.Min)
	}
	srv.waitCount(t, "gone", srv.count("connect")) // every connection closed at the users' stop
}

// A close from the server fails what waits with its status; the next call
// dials again.
func TestCloseStatusFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var got error
	task := func(ctx context.Context, ws *herdws.Conn) error {
		_, got = ws.Request(ctx, "bye", herdws.Text("close 4001"), nil)
		if _, err := ws.Request(ctx, "echo", herdws.Text("echo 1"), nil); err != nil {
			t.Errorf("after the close: %v", err)
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-u", "1", "-H", srv.URL}, userType("Closer", task))

	var ce *herdws.CloseError
	if !errors.As(got, &ce) || ce.Code != 4001 || ce.Reason != "asked" {
		t.Fatalf("error %v, want a *herdws.CloseError with 4001 asked", got)
	}
	var re *herd.RequestError
	if !errors.As(got, &re) {
		t.Errorf("error %T is not a *herd.RequestError", got)
	}
	if f := failures(s, herdws.KindWait, "bye"); f["websocket closed: status 4001 (asked)"] != 1 || len(f) != 1 {
		t.Errorf("failures of bye: %v", f)
	}
	if e := entry(s, herdws.KindWait, "/ws"); e.Requests != 2 || e.Failures != 0 {
		t.Errorf("connects: %d (%d failed), want 2 (a redial)", e.Requests, e.Failures)
	}
	srv.waitCount(t, "connect", 2)
	if e := entry(s, herdws.KindWait, "echo"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("echo after the redial: %+v", e)
	}
}

// A connection dropped without a close frame fails what waits with a read
// error (herd's reset class).
func TestDropFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	task := func(ctx context.Context, ws *herdws.Conn) error {
		if _, err := ws.Request(ctx, "drop", herdws.Text("drop 1"), nil); err == nil {
			t.Error("a dropped connection answered")
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-u", "1", "-H", srv.URL}, userType("Dropper", task))
	f := failures(s, herdws.KindWait, "drop")
	if len(f) != 1 || f["reset: server closed the connection before a full response"] != 1 {
		t.Errorf("failures of drop: %v", f)
	}
}

// A reply that does not come within --request-timeout fails with herd's
// timeout message; the connection stays usable.
func TestTimeout(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	task := func(ctx context.Context, ws *herdws.Conn) error {
		if _, err := ws.Request(ctx, "silent", herdws.Text("silent 1"), nil); err == nil {
			t.Error("a silent server answered")
		}
		if _, err := ws.Request(ctx, "echo", herdws.Text("echo 1"), nil); err != nil {
			t.Errorf("after the timeout: %v", err)
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-u", "1", "--request-timeout", "0.2", "-H", srv.URL}, userType("Waiter", task))
	const want = "timeout: no complete response within the request timeout"
	if f := failures(s, herdws.KindWait, "silent"); len(f) != 1 || f[want] != 1 {
		t.Errorf("failures of silent: %v, want 1 %q", f, want)
	}
	if e := entry(s, herdws.KindWait, "silent"); e.Min < 200*time.Millisecond {
		t.Errorf("silent failed after %v, before its 200ms timeout", e.Min)
	}
	if e := entry(s, herdws.KindWait, "/ws"); e.Requests != 1 {
		t.Errorf("%d connects: a timeout must keep the connection", e.Requests)
	}
}

// A user killed at the stop while it waits for a reply records the
// exchange as interrupted, as an HTTP request in flight, and its
// connection is dropped.
func TestStopInterruptsWait(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	waiter := userType("Waiter", func(ctx context.Context, ws *herdws.Conn) error {
		_, err := ws.Request(ctx, "silent", herdws.Text("silent 1"), nil)
		if err == nil {
			t.Error("a silent server answered")
		}
		<-ctx.Done() // killed
		return err
	})
	waiter.FixedCount = 1
	stopper := &herd.UserType{Name: "Stopper", FixedCount: 1, New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				select {
				case <-srv.silent: // the waiter's message arrived
				case <-ctx.Done():
				}
				return herd.ErrStopTest
			}}}
		})
	}}
	s := run(t, []string{"-u", "2", "-r", "100", "-H", srv.URL}, waiter, stopper)
	e := entry(s, herdws.KindWait, "silent")
	if e.Requests != 1 || e.Failures != 1 || e.Interrupted != 1 {
		t.Errorf("silent: %d requests, %d failures, %d interrupted; want 1 each", e.Requests, e.Failures, e.Interrupted)
	}
	if f := failures(s, herdws.KindWait, "silent"); f["interrupted at stop: no response"] != 1 {
		t.Errorf("failures of silent: %v", f)
	}
	srv.waitCount(t, "gone", 1)
}

// Await sees a message that comes after it starts waiting.
func TestAwait(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	task := func(ctx context.Context, ws *herdws.Conn) error {
		done := make(chan error, 1)
		go func() {
			m, err := ws.Await(ctx, "bcast", prefix("bcast "))
			if err == nil && m.String() != "bcast 7" {
				t.Errorf("await got %q", m)
			}
			done <- err
		}()
		for deadline := time.Now().Add(10 * time.Second); herdws.Waiting(ws) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if err := ws.Send(ctx, "bcast", herdws.Text("bcast 7")); err != nil {
			return err
		}
		if err := <-done; err != nil {
			t.Errorf("await: %v", err)
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-u", "1", "-H", srv.URL}, userType("Awaiter", task))
	if e := entry(s, herdws.KindWait, "bcast"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("await: %+v", e)
	}
	if e := entry(s, herdws.KindPush, "push"); e.Requests != 0 {
		t.Errorf("the awaited message also counted as a push")
	}
}

// A refused handshake is a failed connect with its HTTP status; Dial
// returns no Conn and Close on it is harmless.
func TestDialRefused(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var dialErr error
	ut := &herd.UserType{Name: "Refused", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				var c *herdws.Conn
				c, dialErr = herdws.Dial(ctx, "/nope")
				if c != nil || c.Close() != nil {
					t.Error("a failed Dial returned a Conn")
				}
				return herd.ErrStopTest
			}}}
		})
	}}
	s := run(t, []string{"-u", "1", "-H", srv.URL}, ut)
	var se *herd.StatusError
	if !errors.As(dialErr, &se) || se.Code != 403 {
		t.Errorf("dial error %v, want HTTP 403", dialErr)
	}
	if f := failures(s, herdws.KindWait, "/nope"); f["HTTP 403 Forbidden"] != 1 {
		t.Errorf("failures: %v", f)
	}
}

// A Reply that claims a message and returns an error fails the exchange
// with it; one that panics fails it too, without ending the process.
func TestReplyFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	task := func(ctx context.Context, ws *herdws.Conn) error {
		_, err := ws.Request(ctx, "bad", herdws.Text("echo oops"), func(m herdws.Message) error {
			return errors.New("server said " + m.String())
		})
		if err == nil {
			t.Error("a failing Reply succeeded")
		}
		_, err = ws.Request(ctx, "panics", herdws.Text("echo 2"), func(herdws.Message) error { panic("boom") })
		if err == nil {
			t.Error("a panicking Reply succeeded")
		}
		if _, err := ws.Request(ctx, "echo", herdws.Text("echo 3"), nil); err != nil {
			t.Errorf("after the failures: %v", err)
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-u", "1", "-H", srv.URL}, userType("Checker", task))
	if f := failures(s, herdws.KindWait, "bad"); f["server said echo oops"] != 1 {
		t.Errorf("failures of bad: %v", f)
	}
	if f := failures(s, herdws.KindWait, "panics"); f["herdws: Reply panicked: boom"] != 1 {
		t.Errorf("failures of panics: %v", f)
	}
	if e := entry(s, herdws.KindWait, "echo"); e.Requests != 1 || e.Failures != 0 {
		t.Errorf("echo: %+v", e)
	}
}
