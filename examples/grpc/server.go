package main

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/examples/grpc/hellopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// greeter is the example's own server (Locust's hello_server.py): it
// answers after its latency, and counts what it served.
type greeter struct {
	hellopb.UnimplementedGreeterServer
	latency time.Duration

	hellos, streams, streamed atomic.Int64 // SayHello calls, Greetings streams, greetings streamed
}

func (g *greeter) SayHello(ctx context.Context, req *hellopb.HelloRequest) (*hellopb.HelloReply, error) {
	g.hellos.Add(1)
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "no name")
	}
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	return &hellopb.HelloReply{Message: "Hello from herd, " + req.GetName() + "!"}, nil
}

func (g *greeter) Greetings(req *hellopb.HelloRequest, s grpc.ServerStreamingServer[hellopb.HelloReply]) error {
	g.streams.Add(1)
	for i := range req.GetCount() {
		if err := g.wait(s.Context()); err != nil {
			return err
		}
		if err := s.Send(&hellopb.HelloReply{Message: "Greeting " + strconv.Itoa(int(i)+1) + " for " + req.GetName()}); err != nil {
			return err
		}
		g.streamed.Add(1)
	}
	return nil
}

// wait sleeps for the latency, or until ctx ends.
func (g *greeter) wait(ctx context.Context) error {
	if g.latency <= 0 {
		return nil
	}
	t := time.NewTimer(g.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

// serve starts g on addr ("127.0.0.1:0": a free port) and returns the
// address it listens on and a function that stops it and waits for it.
func serve(addr string, g *greeter) (string, func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer()
	hellopb.RegisterGreeterServer(srv, g)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	return l.Addr().String(), func() { srv.Stop(); <-served }, nil
}
