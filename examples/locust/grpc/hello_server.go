package main

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/examples/locust/grpc/hello"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// helloService is hello_server.py's HelloServiceServicer: it answers
// after delay (Locust's sleeps 1 s), and counts its calls.
type helloService struct {
	hello.UnimplementedHelloServiceServer
	delay time.Duration
	calls atomic.Int64
}

func (s *helloService) SayHello(ctx context.Context, req *hello.HelloRequest) (*hello.HelloResponse, error) {
	s.calls.Add(1)
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &hello.HelloResponse{Message: "Hello from Locust, " + req.GetName() + "!"}, nil
}

// startServer is hello_server.py's start_server: it serves s on addr and
// returns the address it listens on and a function that stops it.
func startServer(addr string, s *helloService) (string, func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer()
	hello.RegisterHelloServiceServer(srv, s)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	return l.Addr().String(), func() { srv.Stop(); <-served }, nil
}
