package herdgrpc_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Checker dials its connection in OnStart, closes it in OnStop, and calls
// the generated health client in its task: each call is timed under its
// method.
type Checker struct {
	conn   *herdgrpc.Conn
	health healthpb.HealthClient
}

func (u *Checker) OnStart(ctx context.Context) error {
	var err error
	u.conn, err = herdgrpc.Dial(ctx) // to -H grpc://host:port
	u.health = healthpb.NewHealthClient(u.conn)
	return err
}

func (u *Checker) OnStop(context.Context) error { return u.conn.Close() }

func (u *Checker) Tasks() []herd.Task {
	return []herd.Task{{Name: "check", Run: func(ctx context.Context) error {
		r, err := u.health.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err // a *herd.RequestError: counted already
		}
		fmt.Println("status:", r.GetStatus())
		return herd.ErrStopTest // once is enough for an example
	}}}
}

func Example() {
	addr, stop := healthServer()
	defer stop()

	test := &herd.Test{Users: []*herd.UserType{{Name: "Checker", New: func() herd.User { return new(Checker) }}}}
	test.Events.OnQuitting(printStats)
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-H", "grpc://" + addr}, Stdout: io.Discard, Stderr: io.Discard})
	// Output:
	// status: SERVING
	// grpc /grpc.health.v1.Health/Check: 1 requests, 0 failures
}

// Three users share one connection: each takes its share in OnStart and
// checks once; the third ends the test.
func ExampleNewPool() {
	addr, stop := healthServer()
	defer stop()

	pool := herdgrpc.NewPool(1) // one connection, whatever the number of users
	var checks atomic.Int64
	type pooled struct{ conn *herdgrpc.Conn }
	users := &herd.UserType{Name: "Pooled", New: func() herd.User {
		u := new(pooled)
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				var err error
				if u.conn, err = pool.Dial(ctx, herdgrpc.Metadata("x-user", "pooled")); err != nil {
					return err
				}
				defer u.conn.Close() // ends this user's share; the last closes the connection
				if _, err := healthpb.NewHealthClient(u.conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					return err
				}
				if checks.Add(1) == 3 {
					return herd.ErrStopTest
				}
				<-ctx.Done() // until the stop
				return nil
			}}}
		})
	}}
	test := &herd.Test{Users: []*herd.UserType{users}}
	test.Events.OnQuitting(printStats)
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-u", "3", "-r", "100", "-H", "grpc://" + addr}, Stdout: io.Discard, Stderr: io.Discard})
	// Output:
	// grpc /grpc.health.v1.Health/Check: 3 requests, 0 failures
}

// A grpc.ClientConn of the author's own, timed by herdgrpc's interceptors.
func ExampleInterceptors() {
	addr, stop := healthServer()
	defer stop()

	user := herd.TaskList(func() []herd.Task {
		return []herd.Task{{Run: func(ctx context.Context) error {
			unary, stream := herdgrpc.Interceptors()
			cc, err := grpc.NewClient(herd.HostFrom(ctx), grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithChainUnaryInterceptor(unary), grpc.WithChainStreamInterceptor(stream))
			if err != nil {
				return err
			}
			defer cc.Close()
			if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				return err
			}
			return herd.ErrStopTest
		}}}
	})
	test := &herd.Test{Users: []*herd.UserType{{Name: "Own", New: func() herd.User { return user }}}}
	test.Events.OnQuitting(printStats)
	test.Run(context.Background(), herd.Env{Args: []string{"--headless", "-H", addr}, Stdout: io.Discard, Stderr: io.Discard})
	// Output:
	// grpc /grpc.health.v1.Health/Check: 1 requests, 0 failures
}

// healthServer serves gRPC's health service on 127.0.0.1.
func healthServer() (addr string, stop func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	return l.Addr().String(), func() { srv.Stop(); <-served }
}

func printStats(q *herd.Quit) {
	for _, e := range q.Stats.Entries {
		fmt.Printf("%s %s: %d requests, %d failures\n", e.Method, e.Name, e.Requests, e.Failures)
	}
}
