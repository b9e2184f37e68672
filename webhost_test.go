package herd_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// TestWebHostAllow: --web-host-allow reaches the web UI's Host check
// (internal/control/webui.go): without --web-auth the UI answers its bind
// address, localhost, IP addresses and the allowed names (a wildcard too),
// refuses another name with 421 and logs it; a bad value is a
// configuration error before anything is served.
func TestWebHostAllow(t *testing.T) {
	t.Parallel()
	base, stop, stderr := startUI(t, pingTest(), "--web-host-allow", "herd.test", "--web-host-allow", "*.lab.test")
	for host, want := range map[string]int{
		"herd.test":      http.StatusOK,
		"a.lab.test":     http.StatusOK,
		"localhost":      http.StatusOK,
		"127.0.0.1":      http.StatusOK,
		"evil.example":   http.StatusMisdirectedRequest,
		"lab.test":       http.StatusMisdirectedRequest,
		"herd.test.evil": http.StatusMisdirectedRequest,
	} {
		req, err := http.NewRequest(http.MethodGet, base+"api/state", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host // the connection still goes to 127.0.0.1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d\n%s", code, stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "refused a request for an unknown host name") {
		t.Errorf("no log line for the refused requests:\n%s", log)
	}

	out := new(syncBuffer)
	done := make(chan int, 1)
	go func() {
		done <- mainRun(pingTest(), context.Background(), herd.Env{Stderr: out,
			Args: []string{"--web-host", "127.0.0.1", "-P", "0", "--web-host-allow", "http://herd.test/"}})
	}()
	select {
	case code := <-done:
		if code != 2 || !strings.Contains(out.String(), `--web-host-allow "http://herd.test/"`) {
			t.Errorf("a bad --web-host-allow: exit code %d\n%s", code, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("herd did not refuse a bad --web-host-allow:\n%s", out.String())
	}
}
