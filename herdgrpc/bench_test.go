package herdgrpc_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdgrpc"
	"github.com/herdload/herd/herdgrpc/internal/testpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// inUsers runs n herd users (so that recording is real), each with a call
// from setup; once all are set up, b's timer runs while they make b.N
// calls between them.
func inUsers(b *testing.B, host string, n int, args []string, setup func(ctx context.Context) (call func(ctx context.Context) error, done func(), err error)) {
	var ready, finished sync.WaitGroup
	ready.Add(n)
	finished.Add(n)
	start := make(chan struct{})
	var next atomic.Int64 // calls handed out
	ut := &herd.UserType{Name: "Bench", FixedCount: n, New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				defer finished.Done()
				call, done, err := setup(ctx)
				ready.Done()
				if err != nil {
					b.Error(err)
					return herd.ErrStopUser
				}
				defer done()
				<-start
				for next.Add(1) <= int64(b.N) {
					if err := call(ctx); err != nil {
						b.Error(err)
						break
					}
				}
				return herd.ErrStopUser
			}}}
		})
	}}
	args = append([]string{"--headless", "-u", strconv.Itoa(n), "-r", "10000", "-t", "10m", "--only-summary", "-H", host}, args...)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		_, err := (&herd.Test{Users: []*herd.UserType{ut}}).Run(ctx, herd.Env{Args: args, Stdout: io.Discard, Stderr: io.Discard})
		ran <- err
	}()
	ready.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	finished.Wait()
	b.StopTimer()
	stop()
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
}

// nothing is an invoker that answers at once: what the network and grpc
// would do, without them.
func nothing(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	reply.(*testpb.Msg).Text = "hello"
	return nil
}

// herdgrpc's own work per unary call, inside a running herd user, with no
// network and no grpc: the invoker answers at once. bare calls the invoker
// itself; herdgrpc calls it through the unary interceptor (timed, its
// reply's proto size taken, recorded). The -deadline variants bound each
// call with a deadline (herdgrpc: --request-timeout's, as by default; bare:
// the context.WithTimeout a careful author writes). herdgrpc minus bare is
// the overhead; see docs/PERFORMANCE.md.
func BenchmarkUnaryOverhead(b *testing.B) {
	const method = testpb.Test_Echo_FullMethodName
	for _, c := range []struct {
		name     string
		deadline bool
		herd     bool
	}{
		{"bare", false, false},
		{"herdgrpc", false, true},
		{"bare-deadline", true, false},
		{"herdgrpc-deadline", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var opts []herdgrpc.Option
			if !c.deadline {
				opts = append(opts, herdgrpc.Timeout(-1))
			}
			unary, _ := herdgrpc.Interceptors(opts...)
			inUsers(b, "grpc://127.0.0.1:1", 1, nil, func(context.Context) (func(ctx context.Context) error, func(), error) {
				req, reply := &testpb.Msg{Text: "hello"}, new(testpb.Msg)
				if c.herd {
					return func(ctx context.Context) error { return unary(ctx, method, req, reply, nil, nothing) }, func() {}, nil
				}
				if c.deadline {
					return func(ctx context.Context) error {
						cctx, cancel := context.WithTimeout(ctx, time.Minute)
						defer cancel()
						return nothing(cctx, method, req, reply, nil)
					}, func() {}, nil
				}
				return func(ctx context.Context) error { return nothing(ctx, method, req, reply, nil) }, func() {}, nil
			})
		})
	}
}

// benchServer serves the test service on 127.0.0.1 (loopback TCP) or on
// an in-memory bufconn listener, and returns its address and the dial
// option that reaches it.
func benchServer(b *testing.B, transport string) (string, []grpc.DialOption) {
	var l net.Listener
	var opts []grpc.DialOption
	addr := "127.0.0.1:0"
	if transport == "bufconn" {
		bl := bufconn.Listen(1 << 20)
		l, addr = bl, "127.0.0.1:1"
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }))
	} else {
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			b.Fatal(err)
		}
		addr = l.Addr().String()
	}
	g := grpc.NewServer()
	testpb.RegisterTestServer(g, &server{})
	served := make(chan struct{})
	go func() { defer close(served); _ = g.Serve(l) }()
	b.Cleanup(func() { g.Stop(); <-served })
	return addr, opts
}

// One unary call (Echo, 7 bytes each way) end to end, over loopback TCP
// and over bufconn (in memory: less noise), by one user: a bare grpc
// client and herdgrpc's Conn, without a deadline (Timeout(-1)) and with a
// deadline per call (bare: context.WithTimeout; herdgrpc:
// --request-timeout's, as by default).
func BenchmarkUnary(b *testing.B) {
	for _, transport := range []string{"loopback", "bufconn"} {
		addr, dial := benchServer(b, transport)
		bare := func(deadline bool) func(context.Context) (func(ctx context.Context) error, func(), error) {
			return func(context.Context) (func(ctx context.Context) error, func(), error) {
				cc, err := grpc.NewClient(addr, append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
				if err != nil {
					return nil, nil, err
				}
				c, req := testpb.NewTestClient(cc), &testpb.Msg{Text: "hello"}
				return func(ctx context.Context) error {
					if deadline {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, time.Minute)
						defer cancel()
					}
					_, err := c.Echo(ctx, req)
					return err
				}, func() { cc.Close() }, nil
			}
		}
		b.Run(transport+"/bare", func(b *testing.B) { inUsers(b, addr, 1, nil, bare(false)) })
		b.Run(transport+"/bare-deadline", func(b *testing.B) { inUsers(b, addr, 1, nil, bare(true)) })
		herdgrpcConn := func(opts ...herdgrpc.Option) func(context.Context) (func(ctx context.Context) error, func(), error) {
			return func(ctx context.Context) (func(ctx context.Context) error, func(), error) {
				conn, err := herdgrpc.Dial(ctx, append(opts, herdgrpc.DialOptions(dial...))...)
				if err != nil {
					return nil, nil, err
				}
				c, req := testpb.NewTestClient(conn), &testpb.Msg{Text: "hello"}
				return func(ctx context.Context) error {
					_, err := c.Echo(ctx, req)
					return err
				}, func() { conn.Close() }, nil
			}
		}
		b.Run(transport+"/herdgrpc", func(b *testing.B) { inUsers(b, "grpc://"+addr, 1, nil, herdgrpcConn(herdgrpc.Timeout(-1))) })
		b.Run(transport+"/herdgrpc-deadline", func(b *testing.B) {
			inUsers(b, "grpc://"+addr, 1, []string{"--request-timeout", "1m"}, herdgrpcConn())
		})
	}
}
