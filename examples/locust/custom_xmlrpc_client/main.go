// Command custom_xmlrpc_client is Locust's
// custom_xmlrpc_client/xmlrpc_locustfile.py in herd: users that are not
// HTTP users call an XML-RPC service with a real client
// (github.com/kolo/xmlrpc), and each call is timed and recorded as kind
// "xmlrpc" under its method's name; a fault fails it. The service's URL is
// -H (default http://127.0.0.1:8877/, the port of server.py). Start the
// service, then the test:
//
//	go run ./examples/locust/custom_xmlrpc_client/server &
//	go run ./examples/locust/custom_xmlrpc_client --headless -u 5 -t 30s -H http://127.0.0.1:8877/
package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/kolo/xmlrpc"

	"github.com/herdload/herd"
)

// XMLRPCClient wraps an XML-RPC client so that every call is timed and
// recorded (Locust's XmlRpcClient, a ServerProxy that fires the request
// event).
type XMLRPCClient struct {
	rpc *xmlrpc.Client
}

// NewXMLRPCClient is a client of the service at url for the user whose
// context is ctx: its requests end when the user is killed at the stop
// (the client itself takes no context).
func NewXMLRPCClient(ctx context.Context, url string) (*XMLRPCClient, error) {
	// A transport of the user's own, closed with it.
	next := &http.Transport{ResponseHeaderTimeout: time.Minute}
	c, err := xmlrpc.NewClient(url, userTransport{ctx: ctx, next: next})
	if err != nil {
		return nil, fmt.Errorf("xmlrpc client for %s: %w", url, err)
	}
	return &XMLRPCClient{rpc: c}, nil
}

// userTransport sends every request with the user's context.
type userTransport struct {
	ctx  context.Context
	next *http.Transport
}

func (t userTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r.WithContext(t.ctx))
}

// Call calls method with args, decodes its result into reply and records
// the call as ("xmlrpc", method), its size 0 as in Locust's (an XML-RPC
// response's size is not at hand). A fault is a failure.
func (c *XMLRPCClient) Call(ctx context.Context, method string, reply any, args ...any) error {
	return herd.Time(ctx, "xmlrpc", method, func(context.Context) (int64, error) {
		var params any = args // the client sends a slice's items as the params
		return 0, c.rpc.Call(method, params, reply)
	})
}

// Close closes the client and its connections.
func (c *XMLRPCClient) Close() error { return c.rpc.Close() }

// XMLRPCUser is a user with an XMLRPCClient for its host (Locust's
// abstract XmlRpcUser): embed it in the real user type.
type XMLRPCUser struct {
	Client *XMLRPCClient
}

// OnStart connects the client to the user's host (-H, or its type's Host).
func (u *XMLRPCUser) OnStart(ctx context.Context) error {
	c, err := NewXMLRPCClient(ctx, herd.HostFrom(ctx))
	if err != nil {
		return err
	}
	u.Client = c
	return nil
}

// OnStop closes the client.
func (u *XMLRPCUser) OnStop(context.Context) error {
	if u.Client == nil {
		return nil
	}
	return u.Client.Close()
}

// MyUser is the service's user: the only part specific to the service.
type MyUser struct{ XMLRPCUser }

func (u *MyUser) Tasks() []herd.Task {
	return []herd.Task{
		{Name: "get_time", Run: func(ctx context.Context) error {
			var t float64
			return u.Client.Call(ctx, "get_time", &t)
		}},
		{Name: "get_random_number", Run: func(ctx context.Context) error {
			var n int
			return u.Client.Call(ctx, "get_random_number", &n, 0, 100)
		}},
	}
}

// newTest is the test.
func newTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "MyUser",
		Host: "http://127.0.0.1:8877/",
		New:  func() herd.User { return new(MyUser) },
	}}}
}

func main() { herd.Main(newTest()) }
