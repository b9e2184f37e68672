package herdgrpc_test

import (
	"context"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdgrpc"
	"github.com/herdload/herd/herdgrpc/internal/testpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// bufServer serves the test service on an in-memory listener, for tests
// inside a synctest bubble (whose clock a real socket would not follow),
// and returns the dial option that reaches it.
func bufServer(t *testing.T) grpc.DialOption {
	l := bufconn.Listen(1 << 16)
	g := grpc.NewServer()
	testpb.RegisterTestServer(g, &server{slow: make(chan struct{}, 10), calls: map[string]int{}, users: map[string]int{}})
	served := make(chan struct{})
	go func() { defer close(served); _ = g.Serve(l) }()
	t.Cleanup(func() { g.Stop(); <-served })
	return grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) })
}

// A call past --request-timeout fails with DeadlineExceeded, recorded
// with the code and exactly its timeout as its response time (synctest's
// clock); the Timeout option replaces it, an earlier deadline of the
// call's context wins and a later one does not extend it; StreamTimeout
// bounds streams.
func TestDeadline(t *testing.T) {
	t.Parallel()
	const s = time.Second
	for _, c := range []struct {
		name   string
		args   []string
		opts   []herdgrpc.Option
		own    time.Duration // the call's context's deadline, 0 for none
		stream bool
		want   time.Duration
	}{
		{"request-timeout", []string{"--request-timeout", "30s"}, nil, 0, false, 30 * s},
		{"Timeout option", []string{"--request-timeout", "30s"}, []herdgrpc.Option{herdgrpc.Timeout(5 * s)}, 0, false, 5 * s},
		{"an earlier context deadline", []string{"--request-timeout", "30s"}, nil, 2 * s, false, 2 * s},
		{"a later context deadline", []string{"--request-timeout", "30s"}, nil, time.Hour, false, 30 * s},
		{"a stream", []string{"--request-timeout", "30s"}, nil, 0, true, 30 * s},
		{"StreamTimeout", []string{"--request-timeout", "30s"}, []herdgrpc.Option{herdgrpc.StreamTimeout(7 * s)}, 0, true, 7 * s},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				opts := append(c.opts, herdgrpc.DialOptions(bufServer(t)))
				task := func(ctx context.Context, tc testpb.TestClient) error {
					if c.own > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, c.own)
						defer cancel()
					}
					var err error
					if c.stream {
						var st testpb.Test_CountClient
						if st, err = tc.Count(ctx, &testpb.Msg{Text: "hang"}); err == nil {
							_, err = st.Recv()
						}
					} else {
						_, err = tc.Slow(ctx, &testpb.Msg{})
					}
					if status.Code(err) != codes.DeadlineExceeded {
						t.Errorf("%v, want DeadlineExceeded", err)
					}
					return herd.ErrStopTest
				}
				st := run(t, append(c.args, "-H", "grpc://127.0.0.1:1"), userType("Sloth", opts, task))
				name := testpb.Test_Slow_FullMethodName
				if c.stream {
					name = testpb.Test_Count_FullMethodName
				}
				if e := entry(st, herdgrpc.Kind, name); e.Requests != 1 || e.Failures != 1 || e.Interrupted != 0 || e.Max != c.want {
					t.Errorf("%d requests, %d failures, %d interrupted, %v; want 1, 1, 0, %v", e.Requests, e.Failures, e.Interrupted, e.Max, c.want)
				}
				if f := failures(st, herdgrpc.Kind, name); f["rpc error: code = DeadlineExceeded desc = context deadline exceeded"] != 1 {
					t.Errorf("failures: %v", f)
				}
			})
		})
	}
}
