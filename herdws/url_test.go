package herdws

import (
	"strings"
	"testing"
)

func TestWSURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ host, target, want, err string }{
		{"http://127.0.0.1:8089", "/ws/chat", "ws://127.0.0.1:8089/ws/chat", ""},
		{"https://shop.test/", "/ws", "wss://shop.test/ws", ""},
		{"http://h/base/", "/ws?room=1", "ws://h/base/ws?room=1", ""},
		{"http://h", "ws", "ws://h/ws", ""},
		{"ws://h:1", "/x", "ws://h:1/x", ""},
		{"WSS://h", "/x", "wss://h/x", ""},
		{"", "ws://other:9/x", "ws://other:9/x", ""},
		{"http://h", "https://other/x", "wss://other/x", ""},
		{"http://h", "http://other/x", "ws://other/x", ""},
		{"", "/ws", "", "no host"},
		{"grpc://h:1", "/ws", "", "scheme"},
		{"http://h", "ftp://x/y", "", "scheme"},
		{"h:8080", "/ws", "", "not an absolute URL"},
	} {
		got, err := wsURL(c.host, c.target)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("wsURL(%q, %q) error %v, want one with %q", c.host, c.target, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("wsURL(%q, %q) = %q, %v; want %q", c.host, c.target, got, err, c.want)
		}
	}
}

func FuzzWSURL(f *testing.F) {
	f.Add("http://127.0.0.1:8089", "/ws/chat")
	f.Add("", "wss://h/x")
	f.Add("https://h/base/", "x?y")
	f.Fuzz(func(t *testing.T, host, target string) {
		got, err := wsURL(host, target)
		if err == nil && !strings.HasPrefix(got, "ws://") && !strings.HasPrefix(got, "wss://") {
			t.Fatalf("wsURL(%q, %q) = %q", host, target, got)
		}
	})
}
