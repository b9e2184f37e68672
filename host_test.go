package herd_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/herdload/herd"
)

// hostReader is a user that is not an HTTP user: it notes the host it
// reads, in its tasks and in a request listener, then stops the test.
type hostReader struct{ seen func(where, host string) }

func (u hostReader) Tasks() []herd.Task {
	return []herd.Task{{Name: "read", Run: func(ctx context.Context) error {
		u.seen("task", herd.HostFrom(ctx))
		herd.Record(ctx, herd.Request{Kind: "grpc", Name: "SayHello"})
		return herd.ErrStopTest
	}}}
}

func TestHostsThatAreNotHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typeHost string
		args     []string
		want     string
	}{
		{"-H host:port", "", []string{"-H", "localhost:50051"}, "localhost:50051"},
		{"-H IPv6 host:port", "", []string{"-H", "[::1]:50051"}, "[::1]:50051"},
		{"-H grpc://", "", []string{"-H", "grpc://127.0.0.1:50051"}, "grpc://127.0.0.1:50051"},
		{"-H wins over the type's", "grpc://inventory:50051", []string{"-H", "redis://cache:6379"}, "redis://cache:6379"},
		{"the type's own Host", "grpc://inventory:50051", nil, "grpc://inventory:50051"},
		{"the type's own host:port", "cache:6379", nil, "cache:6379"},
		{"no host at all", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			seen := map[string]string{}
			note := func(where, host string) {
				mu.Lock()
				seen[where] = host
				mu.Unlock()
			}
			test := &herd.Test{Users: []*herd.UserType{{Name: "Greeter", Host: tt.typeHost,
				New: func() herd.User { return hostReader{seen: note} }}}}
			test.Events.OnRequest(func(r herd.Request) { note("listener", herd.HostFrom(r.Context)) })
			code, _, stderr := runTest(t, context.Background(), test, append([]string{"--headless", "-t", "30s"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen["task"] != tt.want || seen["listener"] != tt.want {
				t.Errorf("HostFrom: %q in the task, %q in the listener; want %q", seen["task"], seen["listener"], tt.want)
			}
		})
	}
}

func TestHTTPUsersStillNeedHTTP(t *testing.T) {
	t.Parallel()
	both := func() *herd.Test {
		return &herd.Test{Users: []*herd.UserType{
			{Name: "Shopper", New: func() herd.User { return new(pinger) }},
			{Name: "Greeter", New: func() herd.User { return hostReader{seen: func(string, string) {}} }},
		}}
	}
	code, _, stderr := runTest(t, context.Background(), both(), "--headless", "-t", "30s", "-H", "localhost:50051")
	if want := `user type Shopper sends HTTP: host "localhost:50051" is not an absolute http:// or https:// URL`; code != herd.ExitConfig || !strings.Contains(stderr, want) {
		t.Errorf("-H host:port with an HTTP user: exit code %d, want %d and %q in\n%s", code, herd.ExitConfig, want, stderr)
	}
	// The gRPC user alone runs with it.
	code, _, stderr = runTest(t, context.Background(), both(), "--headless", "-t", "30s", "-H", "localhost:50051", "Greeter")
	if code != 0 {
		t.Errorf("the Greeter alone: exit code %d\n%s", code, stderr)
	}
	test := both()
	test.Users[0].Host = "grpc://shop:50051"
	code, _, stderr = runTest(t, context.Background(), test, "--headless", "-t", "30s")
	if want := `user type Shopper is an HTTP user (HTTPUser, FastHTTPUser): its host "grpc://shop:50051" is not an absolute http:// or https:// URL`; code != herd.ExitConfig || !strings.Contains(stderr, want) {
		t.Errorf("UserType.Host grpc:// on an HTTP user: exit code %d, want %d and %q in\n%s", code, herd.ExitConfig, want, stderr)
	}
	if h := herd.HostFrom(context.Background()); h != "" {
		t.Errorf("HostFrom outside a user: %q", h)
	}
}

// Pinger is a user of a line protocol (think Redis): it dials the host it
// was given, -H localhost:6379 style, and times each PING.
type Pinger struct{ conn net.Conn }

func (u *Pinger) OnStart(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", herd.HostFrom(ctx))
	u.conn = c
	return err
}

func (u *Pinger) OnStop(context.Context) error { return u.conn.Close() }

func (u *Pinger) Tasks() []herd.Task {
	return []herd.Task{{Name: "ping", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "tcp", "PING", func(ctx context.Context) (int64, error) {
			if _, err := io.WriteString(u.conn, "PING\n"); err != nil {
				return 0, err
			}
			line, err := bufio.NewReader(u.conn).ReadString('\n')
			if err == nil && line != "PONG\n" {
				err = errors.New("unexpected answer " + line)
			}
			return int64(len(line)), err
		})
	}}}
}

// A user that is not an HTTP user takes its target from -H, here
// host:port, and reads it with HostFrom.
func ExampleHostFrom() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() { // a PING server
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					io.WriteString(c, "PONG\n")
				}
			}()
		}
	}()

	err = herd.RunSingleUser(context.Background(), &herd.UserType{
		Name: "Pinger",
		New:  func() herd.User { return new(Pinger) },
	}, herd.SingleUser{Host: ln.Addr().String(), Iterations: 3, Out: io.Discard, Events: printNames()})
	fmt.Println("error:", err)
	// Output:
	// tcp PING ok
	// tcp PING ok
	// tcp PING ok
	// error: <nil>
}

// printNames prints each request's kind, name and verdict.
func printNames() *herd.Events {
	ev := &herd.Events{}
	ev.OnRequest(func(r herd.Request) {
		verdict := "ok"
		if r.Err != nil {
			verdict = r.Err.Error()
		}
		fmt.Println(r.Kind, r.Name, verdict)
	})
	return ev
}
