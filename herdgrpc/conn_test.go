package herdgrpc_test

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdgrpc"
	"github.com/herdload/herd/herdgrpc/internal/testpb"
	"github.com/herdload/herd/internal/runtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// The package's tests run through runtest.
var (
	run      = runtest.Run
	entry    = runtest.Entry
	failures = runtest.Failures
)

// user dials in OnStart (through pool when set) and runs its tasks with a
// client of the test service.
type user struct {
	conn  *herdgrpc.Conn
	pool  *herdgrpc.Pool
	opts  []herdgrpc.Option
	tasks []func(ctx context.Context, c testpb.TestClient) error
}

func (u *user) OnStart(ctx context.Context) error {
	var err error
	if u.pool != nil {
		u.conn, err = u.pool.Dial(ctx, u.opts...)
	} else {
		u.conn, err = herdgrpc.Dial(ctx, u.opts...)
	}
	return err
}

func (u *user) OnStop(context.Context) error { return u.conn.Close() }

func (u *user) Tasks() []herd.Task {
	var ts []herd.Task
	for _, task := range u.tasks {
		// Tasks is called before OnStart: the client is made per call.
		ts = append(ts, herd.Task{Run: func(ctx context.Context) error { return task(ctx, testpb.NewTestClient(u.conn)) }})
	}
	return ts
}

func userType(name string, opts []herdgrpc.Option, tasks ...func(ctx context.Context, c testpb.TestClient) error) *herd.UserType {
	return &herd.UserType{Name: name, New: func() herd.User { return &user{opts: opts, tasks: tasks} }}
}

// upTo returns ErrStopTest once n tasks have run, to bound a run by count.
func upTo(n int64) func() error {
	var ran atomic.Int64
	return func() error {
		if ran.Add(1) >= n {
			return herd.ErrStopTest
		}
		return nil
	}
}

// Unary calls, failing calls, server streams and client streams: each is
// counted under its method as often as the server saw it, failures carry
// their code, and sizes are the replies' proto sizes.
func TestCallsMatchTheServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	done := upTo(300)
	echo := &testpb.Msg{Text: "hello"}
	tasks := []func(ctx context.Context, c testpb.TestClient) error{
		func(ctx context.Context, c testpb.TestClient) error {
			if _, err := c.Echo(ctx, echo); err != nil {
				return err
			}
			return done()
		},
		func(ctx context.Context, c testpb.TestClient) error {
			_, err := c.Fail(ctx, &testpb.Msg{Code: int32(codes.NotFound), Text: "no such thing"})
			if status.Code(err) != codes.NotFound {
				t.Errorf("Fail: status.Code(%v) = %v, want NotFound", err, status.Code(err))
			}
			var re *herd.RequestError
			if !errors.As(err, &re) {
				t.Errorf("Fail: %T is not a *herd.RequestError", err)
			}
			return done()
		},
		func(ctx context.Context, c testpb.TestClient) error {
			s, err := c.Count(ctx, &testpb.Msg{Code: 3, Text: "tick"})
			if err != nil {
				return err
			}
			for {
				if _, err := s.Recv(); err == io.EOF {
					break
				} else if err != nil {
					return err
				}
			}
			return done()
		},
		func(ctx context.Context, c testpb.TestClient) error {
			s, err := c.Sum(ctx)
			if err != nil {
				return err
			}
			for i := range int32(4) {
				if err := s.Send(&testpb.Msg{Code: i}); err != nil {
					return err
				}
			}
			sum, err := s.CloseAndRecv()
			if err == nil && sum.GetCode() != 6 {
				t.Errorf("Sum: %d, want 6", sum.GetCode())
			}
			if err != nil {
				return err
			}
			return done()
		},
	}
	// Users finish the task they are in at the stop (--stop-timeout), so
	// both sides count the same calls.
	s := run(t, []string{"-u", "4", "-r", "100", "--stop-timeout", "30s", "-H", "grpc://" + srv.addr}, userType("Caller", nil, tasks...))

	for _, m := range []string{testpb.Test_Echo_FullMethodName, testpb.Test_Fail_FullMethodName, testpb.Test_Count_FullMethodName, testpb.Test_Sum_FullMethodName} {
		e := entry(s, herdgrpc.Kind, m)
		if e.Requests == 0 || int(e.Requests) != srv.callsOf(m) {
			t.Errorf("%s: herd counted %d, the server %d", m, e.Requests, srv.callsOf(m))
		}
	}
	echoes := entry(s, herdgrpc.Kind, testpb.Test_Echo_FullMethodName)
	if want := echoes.Requests * uint64(proto.Size(echo)); echoes.Failures != 0 || echoes.TotalSize != want {
		t.Errorf("Echo: %d failures, %d bytes; want 0 and %d", echoes.Failures, echoes.TotalSize, want)
	}
	fails := entry(s, herdgrpc.Kind, testpb.Test_Fail_FullMethodName)
	f := failures(s, herdgrpc.Kind, testpb.Test_Fail_FullMethodName)
	if want := "rpc error: code = NotFound desc = no such thing"; fails.Failures != fails.Requests || f[want] != fails.Failures {
		t.Errorf("Fail: %d requests, failures %v; want every one as %q", fails.Requests, f, want)
	}
	counts := entry(s, herdgrpc.Kind, testpb.Test_Count_FullMethodName)
	perStream := uint64(proto.Size(&testpb.Msg{Text: "tick"}) + proto.Size(&testpb.Msg{Code: 1, Text: "tick"}) + proto.Size(&testpb.Msg{Code: 2, Text: "tick"}))
	if counts.Failures != 0 || counts.TotalSize != counts.Requests*perStream {
		t.Errorf("Count: %d failures, %d bytes; want 0 and %d per stream", counts.Failures, counts.TotalSize, perStream)
	}
	if e := entry(s, herdgrpc.Kind, testpb.Test_Sum_FullMethodName); e.Failures != 0 {
		t.Errorf("Sum: %d failures", e.Failures)
	}
	if len(s.Errors) != 0 {
		t.Errorf("user errors: %+v", s.Errors)
	}
	srv.waitClosed(t) // every user closed its connection
	if n := srv.conns.Load(); n != 4 {
		t.Errorf("%d connections for 4 users, want one each", n)
	}
}

// A stream's messages are rows of their own with Messages; a stream that
// ends with an error status fails with its code, its messages counted.
func TestStreamMessagesAndFailure(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	task := func(ctx context.Context, c testpb.TestClient) error {
		for range 5 {
			s, err := c.Count(ctx, &testpb.Msg{Code: 2, Fail: int32(codes.ResourceExhausted)})
			if err != nil {
				return err
			}
			got := 0
			for {
				_, err = s.Recv()
				if err != nil {
					break
				}
				got++
			}
			if got != 2 || status.Code(err) != codes.ResourceExhausted {
				t.Errorf("stream: %d messages, then %v; want 2 then ResourceExhausted", got, err)
			}
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-H", srv.addr}, userType("Streamer", []herdgrpc.Option{herdgrpc.Messages(), herdgrpc.Names(path.Base)}, task))
	name := "Count" // Names(path.Base)
	e := entry(s, herdgrpc.Kind, name)
	if e.Requests != 5 || e.Failures != 5 {
		t.Errorf("streams: %d, %d failed; want 5, 5", e.Requests, e.Failures)
	}
	if f := failures(s, herdgrpc.Kind, name); f["rpc error: code = ResourceExhausted desc = counted "] != 5 {
		t.Errorf("stream failures: %v", f)
	}
	msgs := entry(s, herdgrpc.KindMessage, name)
	if msgs.Requests != 10 || msgs.Failures != 0 || msgs.TotalSize != e.TotalSize || e.TotalSize == 0 {
		t.Errorf("messages: %d (%d bytes, %d failed); want 10 (the streams' %d bytes, none)", msgs.Requests, msgs.TotalSize, msgs.Failures, e.TotalSize)
	}
}

// The Conn's metadata and each call's own reach the server.
func TestMetadata(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	task := func(ctx context.Context, c testpb.TestClient) error {
		for range 3 {
			if _, err := c.Echo(ctx, &testpb.Msg{}); err != nil {
				return err
			}
		}
		if _, err := c.Echo(metadata.AppendToOutgoingContext(ctx, "x-user", "bob"), &testpb.Msg{}); err != nil {
			return err
		}
		return herd.ErrStopTest
	}
	run(t, []string{"-H", srv.addr}, userType("Alice", []herdgrpc.Option{herdgrpc.Metadata("x-user", "alice")}, task))
	if a, b := srv.usersSeen("alice"), srv.usersSeen("bob"); a != 4 || b != 1 {
		t.Errorf("the server saw x-user alice %d times and bob %d; want 4 and 1", a, b)
	}
}

// A call or stream in flight when its user is killed at the stop counts
// as interrupted, as an HTTP request does, and its connection is closed.
func TestStopInterrupts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		// call makes the call, and says on ready when it waits for what
		// the server will never send.
		call func(ctx context.Context, c testpb.TestClient, srv *server, ready chan<- struct{}) error
		size uint64 // what was received before the kill
	}{
		{testpb.Test_Slow_FullMethodName, func(ctx context.Context, c testpb.TestClient, srv *server, ready chan<- struct{}) error {
			go func() {
				<-srv.slow // the call is at the server
				close(ready)
			}()
			_, err := c.Slow(ctx, &testpb.Msg{})
			return err
		}, 0},
		{testpb.Test_Count_FullMethodName, func(ctx context.Context, c testpb.TestClient, _ *server, ready chan<- struct{}) error {
			s, err := c.Count(ctx, &testpb.Msg{Code: 2, Text: "hang"})
			if err != nil {
				return err
			}
			for i := 0; ; i++ {
				if i == 2 {
					close(ready) // both messages came; the server hangs
				}
				if _, err := s.Recv(); err != nil {
					return err
				}
			}
		}, uint64(proto.Size(&testpb.Msg{Text: "hang"}) + proto.Size(&testpb.Msg{Code: 1, Text: "hang"}))},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, nil)
			ready := make(chan struct{})
			waiter := userType("Waiter", nil, func(ctx context.Context, tc testpb.TestClient) error {
				err := c.call(ctx, tc, srv, ready)
				if status.Code(err) != codes.Canceled {
					t.Errorf("the kill ended the call with %v, want Canceled", err)
				}
				return err
			})
			waiter.FixedCount = 1
			stopper := &herd.UserType{Name: "Stopper", FixedCount: 1, New: func() herd.User {
				return herd.TaskList(func() []herd.Task {
					return []herd.Task{{Run: func(ctx context.Context) error {
						select {
						case <-ready:
						case <-ctx.Done():
						}
						return herd.ErrStopTest
					}}}
				})
			}}
			s := run(t, []string{"-u", "2", "-r", "100", "-H", srv.addr}, waiter, stopper)
			e := entry(s, herdgrpc.Kind, c.name)
			if e.Requests != 1 || e.Failures != 1 || e.Interrupted != 1 || e.TotalSize != c.size {
				t.Errorf("%d requests, %d failures, %d interrupted, %d bytes; want 1, 1, 1, %d", e.Requests, e.Failures, e.Interrupted, e.TotalSize, c.size)
			}
			if f := failures(s, herdgrpc.Kind, c.name); f["interrupted at stop: no response"] != 1 {
				t.Errorf("failures: %v", f)
			}
			if len(s.Errors) != 0 {
				t.Errorf("user errors: %+v", s.Errors)
			}
			srv.waitClosed(t)
		})
	}
}

// A call whose context is already done sends nothing and is not recorded.
func TestDoneContextNotRecorded(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	task := func(ctx context.Context, c testpb.TestClient) error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := c.Echo(cctx, &testpb.Msg{}); status.Code(err) != codes.Canceled {
			t.Errorf("Echo on a done context: %v", err)
		}
		if _, err := c.Count(cctx, &testpb.Msg{Code: 1}); status.Code(err) != codes.Canceled {
			t.Errorf("Count on a done context: %v", err)
		}
		return herd.ErrStopTest
	}
	s := run(t, []string{"-H", srv.addr}, userType("Late", nil, task))
	if s.Total.Requests != 0 || srv.callsOf(testpb.Test_Echo_FullMethodName)+srv.callsOf(testpb.Test_Count_FullMethodName) != 0 {
		t.Errorf("herd counted %d requests, the server saw calls: %v", s.Total.Requests, srv.calls)
	}
}

// A pool's connections are shared by every user, and closed when the last
// one ends.
func TestPool(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	pool := herdgrpc.NewPool(2)
	done := upTo(100)
	ut := &herd.UserType{Name: "Pooled", New: func() herd.User {
		return &user{pool: pool, tasks: []func(ctx context.Context, c testpb.TestClient) error{
			func(ctx context.Context, c testpb.TestClient) error {
				if _, err := c.Echo(ctx, &testpb.Msg{}); err != nil {
					return err
				}
				return done()
			},
		}}
	}}
	s := run(t, []string{"-u", "6", "-r", "100", "--stop-timeout", "30s", "-H", "grpc://" + srv.addr}, ut)
	e := entry(s, herdgrpc.Kind, testpb.Test_Echo_FullMethodName)
	if e.Requests == 0 || int(e.Requests) != srv.callsOf(testpb.Test_Echo_FullMethodName) || e.Failures != 0 {
		t.Errorf("Echo: herd counted %d (%d failed), the server %d", e.Requests, e.Failures, srv.callsOf(testpb.Test_Echo_FullMethodName))
	}
	srv.waitClosed(t)
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections for a pool of 2", n)
	}
}

func TestPoolDialTakesOnlyMetadata(t *testing.T) {
	t.Parallel()
	_, err := herdgrpc.NewPool(1).Dial(context.Background(), herdgrpc.Metadata("k", "v"), herdgrpc.Timeout(1))
	if err == nil || !strings.Contains(err.Error(), "only Metadata") {
		t.Errorf("Pool.Dial with Timeout: %v", err)
	}
	if _, err := herdgrpc.Dial(context.Background(), herdgrpc.Target("grpc://127.0.0.1:1"), herdgrpc.Metadata("k")); err == nil {
		t.Error("an odd Metadata: no error")
	}
}

// Outside a user, calls are made and not recorded; Close is idempotent.
func TestOutsideAUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	conn, err := herdgrpc.Dial(context.Background(), herdgrpc.Target("grpc://"+srv.addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testpb.NewTestClient(conn).Echo(context.Background(), &testpb.Msg{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Error(err)
	}
	if err := conn.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var nilConn *herdgrpc.Conn
	if err := nilConn.Close(); err != nil {
		t.Errorf("Close on nil: %v", err)
	}
	srv.waitClosed(t)
}
