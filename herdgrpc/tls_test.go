package herdgrpc_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/herdload/herd"
	"github.com/herdload/herd/herdgrpc"
	"github.com/herdload/herd/herdgrpc/internal/testpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TLS: grpcs:// with the TLS option's roots, host:port made TLS by the
// option, and grpcs:// with the system's roots, which do not trust the
// test's certificate: every call fails with code Unavailable.
func TestTLS(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t)
	srv := newServer(t, &cert)
	trusted := []herdgrpc.Option{herdgrpc.TLS(&tls.Config{RootCAs: roots})}
	for _, c := range []struct {
		name, host string
		opts       []herdgrpc.Option
		code       codes.Code
	}{
		{"grpcs", "grpcs://" + srv.addr, trusted, codes.OK},
		{"host:port", srv.addr, trusted, codes.OK},
		{"system roots", "grpcs://" + srv.addr, nil, codes.Unavailable},
		{"plaintext to a TLS server", "grpc://" + srv.addr, nil, codes.Unavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			task := func(ctx context.Context, tc testpb.TestClient) error {
				for range 3 {
					if _, err := tc.Echo(ctx, &testpb.Msg{Text: "secret"}); status.Code(err) != c.code {
						t.Errorf("Echo: %v, want code %v", err, c.code)
					}
				}
				return herd.ErrStopTest
			}
			s := run(t, []string{"-H", c.host}, userType("Secure", c.opts, task))
			e := entry(s, herdgrpc.Kind, testpb.Test_Echo_FullMethodName)
			wantFailed := uint64(0)
			if c.code != codes.OK {
				wantFailed = 3
			}
			if e.Requests != 3 || e.Failures != wantFailed {
				t.Errorf("Echo: %d requests, %d failures; want 3, %d", e.Requests, e.Failures, wantFailed)
			}
			for msg := range failures(s, herdgrpc.Kind, testpb.Test_Echo_FullMethodName) {
				if !strings.HasPrefix(msg, "rpc error: code = Unavailable") {
					t.Errorf("failure %q does not carry its code", msg)
				}
			}
		})
	}
}

func TestTLSWithPlaintextTarget(t *testing.T) {
	t.Parallel()
	_, err := herdgrpc.Dial(context.Background(), herdgrpc.Target("grpc://127.0.0.1:1"), herdgrpc.TLS(&tls.Config{}))
	if err == nil || !strings.Contains(err.Error(), "grpcs://") {
		t.Errorf("grpc:// with TLS: %v", err)
	}
}
