package herd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/failure"
)

// TestFastSessionFlushWait covers the ways a request can go through
// flushWait or around it: small and large requests (a large one leaves
// before the wait and is sent as usual), answers in one piece or in two,
// keep-alive across them, and a target that never answers.
func TestFastSessionFlushWait(t *testing.T) {
	t.Parallel()
	// The server answers every request with its body's length, its head
	// and body written separately when the path is /split.
	addr := loopbackServer(t, func(_ int, c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, _ := io.Copy(io.Discard, req.Body)
			if req.URL.Path == "/silent" {
				io.Copy(io.Discard, br) // until the client gives up
				return
			}
			body := fmt.Sprint(n)
			head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body))
			if req.URL.Path == "/split" {
				c.Write([]byte(head)) // two segments: Go's TCP_NODELAY
				c.Write([]byte(body))
				continue
			}
			c.Write([]byte(head + body))
		}
	})
	ctx, env, _ := sessionEnv(t, "http://"+addr.String(), 0)
	s := newFastSession(env)
	defer s.Close()

	large := bytes.Repeat([]byte("x"), 3*fastBufferSize)
	for i, tc := range []struct {
		path string
		body []byte
	}{
		{"/", nil},
		{"/", []byte("small")},
		{"/", large},
		{"/split", nil},
		{"/", nil},
		{"/split", large},
		{"/", []byte("again")},
	} {
		r := s.Post(ctx, tc.path, Raw("", tc.body))
		if r.Err() != nil {
			t.Fatalf("request %d (%s, %d bytes): %v", i, tc.path, len(tc.body), r.Err())
		}
		if got, want := string(r.Body), fmt.Sprint(len(tc.body)); got != want {
			t.Errorf("request %d: body %q, want %q", i, got, want)
		}
	}

	r := s.Get(ctx, "/silent", Timeout(50*time.Millisecond))
	if got := failure.Message(r.Err()); !strings.HasPrefix(got, "timeout:") {
		t.Errorf("a target that never answers: %q (%v), want a timeout", got, r.Err())
	}
}
