package herdws_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/herdload/herd"
	"github.com/herdload/herd/herdws"
)

// echo answers every message with itself until ctx ends.
func echo(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil || c.Write(ctx, typ, data) != nil {
				return
			}
		}
	})
}

// echoServer is an echo server on 127.0.0.1 (loopback TCP) or on in-memory
// pipes, and the HTTP client that reaches it.
func echoServer(b *testing.B, pipe bool) (url string, client *http.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	h := echo(ctx)
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1) // the benchmark dials before cleanup: no Add races Wait
		defer wg.Done()
		h.ServeHTTP(w, r)
	})
	if !pipe {
		srv := httptest.NewServer(counted)
		b.Cleanup(func() { cancel(); wg.Wait(); srv.Close() })
		return srv.URL, nil
	}
	l := newPipeListener()
	srv := &http.Server{Handler: counted}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	b.Cleanup(func() { cancel(); wg.Wait(); srv.Close(); <-served })
	return "http://127.0.0.1", l.client()
}

// inUser runs fn inside one herd user's task, so that recording is real,
// with b's timer running only around fn.
func inUser(b *testing.B, host string, fn func(ctx context.Context)) {
	ut := &herd.UserType{Name: "Bench", New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				fn(ctx)
				return herd.ErrStopTest
			}}}
		})
	}}
	args := []string{"--headless", "-u", "1", "-t", "10m", "--only-summary", "-H", host}
	if _, err := (&herd.Test{Users: []*herd.UserType{ut}}).Run(context.Background(), herd.Env{Args: args, Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's CPU time so far (user and system, every
// thread: the server's goroutines too). On a shared, busy machine the CPU
// a round trip costs varies far less than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
}

var payload = []byte(`{"type":"echo","id":42,"text":"hello"}`)

// One request/reply with an echo server, over loopback TCP and over
// in-memory pipes (no system call, so far less noise): coder/websocket
// alone, and through herdws (timed, recorded, the reply handed over by the
// connection's reader goroutine). bare writes with the task's context, as
// herdws does, and reads with a context that has no Done channel, as
// herdws's reader does (bare-ctx reads with the task's context: one
// context.AfterFunc more per read). herdws minus bare is herdws's overhead;
// see docs/PERFORMANCE.md.
func BenchmarkRequestReply(b *testing.B) {
	for _, transport := range []string{"loopback", "pipe"} {
		url, client := echoServer(b, transport == "pipe")
		opts := &websocket.DialOptions{HTTPClient: client}
		bare := func(readCtx bool) func(b *testing.B) {
			return func(b *testing.B) {
				inUser(b, url, func(ctx context.Context) {
					c, _, err := websocket.Dial(ctx, "ws"+url[len("http"):], opts)
					if err != nil {
						b.Fatal(err)
					}
					defer c.CloseNow()
					rctx := context.Background()
					if readCtx {
						rctx = ctx
					}
					b.ReportAllocs()
					b.ResetTimer()
					cpu := cpuTime()
					for range b.N {
						if err := c.Write(ctx, websocket.MessageText, payload); err != nil {
							b.Fatal(err)
						}
						if _, _, err := c.Read(rctx); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					reportCPU(b, cpu)
				})
			}
		}
		b.Run(transport+"/bare", bare(false))
		b.Run(transport+"/bare-ctx", bare(true))
		b.Run(transport+"/herdws", func(b *testing.B) {
			inUser(b, url, func(ctx context.Context) {
				c, err := herdws.Dial(ctx, "/", herdws.HTTPClient(client))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				m := herdws.Message{Data: payload}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime()
				for range b.N {
					if _, err := c.Request(ctx, "echo", m, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportCPU(b, cpu)
			})
		})
	}
}
