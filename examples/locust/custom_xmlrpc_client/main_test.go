package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/custom_xmlrpc_client/rpcserver"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// service starts the XML-RPC service on 127.0.0.1 with short pauses.
func service(t *testing.T) string {
	srv := httptest.NewServer(rpcserver.Handler(20 * time.Millisecond))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// The port calls both methods of the service named by -H through the real
// client and records each as ("xmlrpc", method), as Locust's does.
func TestCallsRecorded(t *testing.T) {
	t.Parallel()
	// Until both calls were made (the tasks are picked at random); -t is the
	// backstop.
	res := porttest.RunUntil(t, newTest(), map[string]int{"xmlrpc get_time": 1, "xmlrpc get_random_number": 1},
		"-u", "4", "-r", "4", "-t", "30s", "-s", "10s", "-H", service(t))
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	for _, name := range []string{"get_time", "get_random_number"} {
		if e := res.Report.Entry("xmlrpc", name); e.Requests == 0 || e.Failures != 0 {
			t.Errorf("%s: %+v (failures %+v)", name, e, res.Report.Failures)
		}
	}
	if names := res.Report.Names(); len(names) != 2 {
		t.Errorf("entries %v", names)
	}
}

// A fault (a method the service lacks) is the call's failure, with the
// service's message, and the client decodes results into Go values.
func TestFaultFails(t *testing.T) {
	t.Parallel()
	type prober struct{ XMLRPCUser }
	var got struct {
		n   int
		t   float64
		err error
	}
	test := &herd.Test{Users: []*herd.UserType{{Name: "Prober", New: func() herd.User {
		u := new(prober)
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				u.OnStart(ctx)
				defer u.OnStop(ctx)
				if err := u.Client.Call(ctx, "get_random_number", &got.n, 7, 7); err != nil {
					return err
				}
				if err := u.Client.Call(ctx, "get_time", &got.t); err != nil {
					return err
				}
				got.err = u.Client.Call(ctx, "no_such_method", nil)
				return herd.ErrStopTest
			}}}
		})
	}}}}
	res := porttest.Run(t, test, "-u", "1", "-t", "30s", "-H", service(t))
	if got.n != 7 || time.Since(time.Unix(int64(got.t), 0)) > time.Minute {
		t.Errorf("results %d and %v", got.n, got.t)
	}
	var re *herd.RequestError
	if !errors.As(got.err, &re) {
		t.Errorf("the fault's error: %v", got.err)
	}
	if n := res.Report.FailureCount("xmlrpc", "no_such_method", `method "no_such_method" is not supported`); n != 1 {
		t.Errorf("%d failures of no_such_method, want 1: %+v", n, res.Report.Failures)
	}
}
