package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStartServesAndCloses(t *testing.T) {
	t.Parallel()
	s := New(Options{Addr: "127.0.0.1:0", BasePath: "/herd", Assets: testAssets()}, newFake())
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/herd/$`).MatchString(url) || strings.HasSuffix(url, ":0/herd/") {
		t.Fatalf("url = %q", url)
	}
	resp, err := http.Get(url + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET api/state = %d", resp.StatusCode)
	}
	if _, err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}

	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("still serving after Close")
	}
	if _, err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := New(Options{Addr: ln.Addr().String()}, newFake())
	if _, err := s.Start(); err == nil {
		t.Error("Start on a busy port succeeded")
	}
	s = New(Options{Addr: "127.0.0.1:0", TLSCert: "missing.pem", TLSKey: "missing.key"}, newFake())
	if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("Start with missing TLS files: %v", err)
	}
	s = New(Options{Addr: "127.0.0.1:0", TLSCert: "only.pem"}, newFake())
	if _, err := s.Start(); err == nil {
		t.Error("Start with a certificate but no key succeeded")
	}
}

func TestDisplayURL(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8089}
	tests := []struct {
		listen, base string
		https        bool
		want         string
	}{
		{":8089", "", false, "http://127.0.0.1:8089/"},
		{"0.0.0.0:0", "/herd", false, "http://127.0.0.1:8089/herd/"},
		{"[::]:8089", "", false, "http://127.0.0.1:8089/"},
		{":8089", "", true, "https://localhost:8089/"},
		{"myhost:0", "/a/b", false, "http://myhost:8089/a/b/"},
		{"[::1]:0", "", false, "http://[::1]:8089/"},
	}
	for _, tt := range tests {
		s := New(Options{Addr: tt.listen, BasePath: tt.base}, newFake())
		if got := s.displayURL(addr, tt.https); got != tt.want {
			t.Errorf("displayURL(%q, %q, %v) = %q, want %q", tt.listen, tt.base, tt.https, got, tt.want)
		}
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	fake := newFake()
	s := New(Options{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, Auth: "u:p", Assets: testAssets()}, fake)
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("url = %q", url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()

	req, _ := http.NewRequest(http.MethodPost, url+"stop", nil)
	req.SetBasicAuth("u", "p")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("POST stop over TLS = %d (TLS %v)", resp.StatusCode, resp.TLS != nil)
	}
	if _, stops, _ := fake.calls(); stops != 1 {
		t.Errorf("stops = %d", stops)
	}

	// Plain HTTP to the TLS port does not reach the routes.
	resp, err = http.Get(strings.Replace(url, "https://", "http://", 1) + "stop")
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port = %d", resp.StatusCode)
		}
	}
	if _, stops, _ := fake.calls(); stops != 1 {
		t.Errorf("stops = %d after plain HTTP", stops)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and returns its files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "herd test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
