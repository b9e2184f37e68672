// Command grpc is Locust's examples/grpc (locustfile.py and
// hello_server.py) in herd: a user of a generated gRPC client, its calls
// timed by herdgrpc's interceptors (Locust's example wraps the stub by
// hand). Its host is localhost:50051, where it starts the dummy server
// (as Locust's init listener does) unless -H names another:
//
//	go run ./examples/locust/grpc --headless -u 5 -t 30s
//	go run ./examples/locust/grpc --headless -H grpc://10.0.0.7:50051 -u 5 -t 30s
package main

import (
	"context"
	"path"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/grpc/hello"
	"github.com/herdload/herd/herdgrpc"
)

// HelloGrpcUser is GrpcUser with HelloServiceStub as its stub class: its
// channel is opened in OnStart (to its host) and closed in OnStop.
type HelloGrpcUser struct {
	conn   *herdgrpc.Conn
	client hello.HelloServiceClient
}

func (u *HelloGrpcUser) OnStart(ctx context.Context) error {
	var err error
	// Names(path.Base) names the rows "SayHello", as Locust's GrpcClient.
	u.conn, err = herdgrpc.Dial(ctx, herdgrpc.Names(path.Base))
	u.client = hello.NewHelloServiceClient(u.conn)
	return err
}

func (u *HelloGrpcUser) OnStop(context.Context) error { return u.conn.Close() }

func (u *HelloGrpcUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "sayHello", Run: u.sayHello}}
}

func (u *HelloGrpcUser) sayHello(ctx context.Context) error {
	if _, err := u.client.SayHello(ctx, &hello.HelloRequest{Name: "Test"}); err != nil {
		return err
	}
	return herd.Sleep(ctx, time.Second)
}

// defaultHost is HelloGrpcUser's host in Locust's example.
const defaultHost = "localhost:50051"

// newTest is the test; without -H it starts the dummy server, whose
// answers take delay, on defaultHost.
func newTest(delay time.Duration) *herd.Test {
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "HelloGrpcUser",
		Host: defaultHost,
		New:  func() herd.User { return new(HelloGrpcUser) },
	}}}
	var stop func()
	test.Events.OnInit(func(_ context.Context, info *herd.RunInfo) error {
		if info.Host != "" {
			return nil
		}
		// Start the dummy server. This is not something you would do in a real test.
		var err error
		_, stop, err = startServer(defaultHost, &helloService{delay: delay})
		return err
	})
	test.Events.OnQuitting(func(*herd.Quit) {
		if stop != nil {
			stop()
		}
	})
	return test
}

func main() { herd.Main(newTest(time.Second)) }
