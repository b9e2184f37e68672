// Command grpc load-tests a gRPC greeter with herdgrpc: each user dials a
// connection of its own (its name in every call's metadata), says hello
// three times as often as it asks for a stream of greetings, and every
// call and stream is timed under its method. Without -H it starts its own
// greeter on 127.0.0.1 first, as Locust's examples/grpc does:
//
//	go run ./examples/grpc --headless -u 20 -r 5 -t 30s
//	go run ./examples/grpc --headless -H grpc://greeter.internal:50051 -u 20 -t 30s
package main

import (
	"context"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/grpc/hellopb"
	"github.com/herdload/herd/herdgrpc"
)

// Greeter is one user of the greeter service.
type Greeter struct {
	local *local
	name  string
	conn  *herdgrpc.Conn
	hello hellopb.GreeterClient
}

var names atomic.Int64 // users' names, unique in the process

func (u *Greeter) OnStart(ctx context.Context) error {
	u.name = "user-" + strconv.FormatInt(names.Add(1), 10)
	opts := []herdgrpc.Option{herdgrpc.Metadata("x-user", u.name)}
	if herd.HostFrom(ctx) == "" {
		opts = append(opts, herdgrpc.Target("grpc://"+u.local.address()))
	}
	var err error
	u.conn, err = herdgrpc.Dial(ctx, opts...) // to -H, or the greeter started in OnInit
	u.hello = hellopb.NewGreeterClient(u.conn)
	return err
}

func (u *Greeter) OnStop(context.Context) error { return u.conn.Close() }

func (u *Greeter) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "hello", Weight: 3, Run: u.sayHello},
		{Name: "greetings", Run: u.greetings},
	}
}

// sayHello is one unary call: "grpc /herd.examples.hello.Greeter/SayHello".
func (u *Greeter) sayHello(ctx context.Context) error {
	_, err := u.hello.SayHello(ctx, &hellopb.HelloRequest{Name: u.name})
	return err // a failure is counted already: returning it ends the task
}

// greetings reads a stream of five greetings to its end: one request per
// stream, timed from its opening to its end.
func (u *Greeter) greetings(ctx context.Context) error {
	s, err := u.hello.Greetings(ctx, &hellopb.HelloRequest{Name: u.name, Count: 5})
	if err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// local is the greeter the program starts when no -H is given.
type local struct {
	g    greeter
	mu   sync.Mutex
	addr string
	stop func()
}

func (l *local) address() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr
}

// start serves the greeter on a free port of 127.0.0.1, once.
func (l *local) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addr != "" {
		return nil
	}
	var err error
	l.addr, l.stop, err = serve("127.0.0.1:0", &l.g)
	return err
}

func (l *local) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		l.stop()
		l.stop = nil
	}
}

// newTest is the test and the greeter it starts without -H, whose
// answers take latency.
func newTest(latency time.Duration) (*herd.Test, *local) {
	l := &local{g: greeter{latency: latency}}
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Greeter",
		Wait: herd.Between(100*time.Millisecond, 500*time.Millisecond),
		New:  func() herd.User { return &Greeter{local: l} },
	}}}
	test.Events.OnInit(func(_ context.Context, info *herd.RunInfo) error {
		if info.Host != "" {
			return nil
		}
		return l.start() // a stand-in for a real server: not something a real test does
	})
	test.Events.OnQuitting(func(*herd.Quit) { l.close() })
	return test, l
}

func main() {
	test, _ := newTest(20 * time.Millisecond)
	herd.Main(test)
}
