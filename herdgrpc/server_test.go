package herdgrpc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/herdgrpc/internal/testpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// server is the gRPC service the tests call, on 127.0.0.1. It counts the
// calls and streams of each method as they come (its interceptors), the
// values of the metadata key "x-user" it saw, and signals each Slow call
// on slow, as it does each Count stream asked to "hang" after its
// messages.
type server struct {
	testpb.UnimplementedTestServer
	addr string
	slow chan struct{}
	// conns counts the connections accepted, open those not yet closed.
	conns, open atomic.Int64

	mu     sync.Mutex
	calls  map[string]int
	users  map[string]int
	closed bool
}

// newServer starts a server on 127.0.0.1; with cert, over TLS.
func newServer(t testing.TB, cert *tls.Certificate) *server {
	t.Helper()
	s := &server{slow: make(chan struct{}, 100), calls: map[string]int{}, users: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	l = &countingListener{Listener: l, s: s}
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(s.unary), grpc.StreamInterceptor(s.stream)}
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})))
	}
	g := grpc.NewServer(opts...)
	testpb.RegisterTestServer(g, s)
	served := make(chan struct{})
	go func() { defer close(served); _ = g.Serve(l) }()
	t.Cleanup(func() { g.Stop(); <-served })
	return s
}

func (s *server) count(ctx context.Context, method string) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	for _, u := range md.Get("x-user") {
		s.users[u]++
	}
}

func (s *server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	s.count(ctx, info.FullMethod)
	return h(ctx, req)
}

func (s *server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	s.count(ss.Context(), info.FullMethod)
	return h(srv, ss)
}

// calls is how many calls (or streams) of method the server saw.
func (s *server) callsOf(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// usersSeen is how many calls carried x-user: user.
func (s *server) usersSeen(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[user]
}

func (s *server) Echo(_ context.Context, m *testpb.Msg) (*testpb.Msg, error) { return m, nil }

func (s *server) Fail(_ context.Context, m *testpb.Msg) (*testpb.Msg, error) {
	return nil, status.Error(codes.Code(m.GetCode()), m.GetText())
}

func (s *server) Slow(ctx context.Context, _ *testpb.Msg) (*testpb.Msg, error) {
	s.slow <- struct{}{}
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

func (s *server) Count(m *testpb.Msg, ss grpc.ServerStreamingServer[testpb.Msg]) error {
	for i := range m.GetCode() {
		if err := ss.Send(&testpb.Msg{Code: i, Text: m.GetText()}); err != nil {
			return err
		}
	}
	if m.GetText() == "hang" {
		s.slow <- struct{}{}
		<-ss.Context().Done()
		return status.FromContextError(ss.Context().Err()).Err()
	}
	if m.GetFail() != 0 {
		return status.Error(codes.Code(m.GetFail()), "counted "+m.GetText())
	}
	return nil
}

// waitClosed waits (bounded) until every connection the server accepted
// is closed: the clients closed them.
func (s *server) waitClosed(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.open.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.open.Load(); n != 0 {
		t.Errorf("%d connections still open after the run", n)
	}
}

type countingListener struct {
	net.Listener
	s *server
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.conns.Add(1)
	l.s.open.Add(1)
	return &countedConn{Conn: c, open: &l.s.open}, nil
}

type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

func (s *server) Sum(ss grpc.ClientStreamingServer[testpb.Msg, testpb.Msg]) error {
	var sum int32
	for {
		m, err := ss.Recv()
		if err == io.EOF {
			return ss.SendAndClose(&testpb.Msg{Code: sum})
		}
		if err != nil {
			return err
		}
		sum += m.GetCode()
	}
}

// selfSigned is a certificate for 127.0.0.1, and the pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "herdgrpc test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
