package herdws_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
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

// client is one benchmark user's connection: its set-up (dial) and one
// request/reply exchange.
type client interface {
	exchange(ctx context.Context) error
	close()
}

// inUsers runs n herd users (so that recording is real), each with a
// client from dial; once all have dialled, b's timer runs while they make
// b.N exchanges between them. It reports the process's CPU time per
// exchange too (see cpuTime).
func inUsers(b *testing.B, host string, n int, dial func(ctx context.Context) (client, error)) {
	var ready, finished sync.WaitGroup
	ready.Add(n)
	finished.Add(n)
	start := make(chan struct{})
	var next atomic.Int64 // exchanges handed out
	ut := &herd.UserType{Name: "Bench", FixedCount: n, New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				defer finished.Done()
				c, err := dial(ctx)
				ready.Done()
				if err != nil {
					b.Error(err)
					return herd.ErrStopUser
				}
				defer c.close()
				<-start
				for next.Add(1) <= int64(b.N) {
					if err := c.exchange(ctx); err != nil {
						b.Error(err)
						break
					}
				}
				return herd.ErrStopUser
			}}}
		})
	}}
	args := []string{"--headless", "-u", strconv.Itoa(n), "-r", "10000", "-t", "10m", "--only-summary", "-H", host}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		_, err := (&herd.Test{Users: []*herd.UserType{ut}}).Run(ctx, herd.Env{Args: args, Stdout: io.Discard, Stderr: io.Discard})
		ran <- err
	}()
	ready.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	close(start)
	finished.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	stop()
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
}

// bareClient is coder/websocket alone: a write, then a read.
type bareClient struct {
	c       *websocket.Conn
	readCtx bool // read with the task's context (else one without Done)
}

func (c *bareClient) exchange(ctx context.Context) error {
	if err := c.c.Write(ctx, websocket.MessageText, payload); err != nil {
		return err
	}
	rctx := context.Background()
	if c.readCtx {
		rctx = ctx
	}
	_, _, err := c.c.Read(rctx)
	return err
}

func (c *bareClient) close() { c.c.CloseNow() }

// herdwsClient is the same exchange through herdws.
type herdwsClient struct{ c *herdws.Conn }

func (c herdwsClient) exchange(ctx context.Context) error {
	_, err := c.c.Request(ctx, "echo", herdws.Message{Data: payload}, nil)
	return err
}

func (c herdwsClient) close() { c.c.Close() }

// cpuTime is the process's CPU time so far (user and system, every
// thread: the server's goroutines too). On a shared, busy machine the CPU
// a round trip costs varies far less than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var payload = []byte(`{"type":"echo","id":42,"text":"hello"}`)

// One request/reply with an echo server, over loopback TCP and over
// in-memory pipes (no system call, so far less noise), by one user and by
// 32 at once (a busy generator: no idle core to wake): coder/websocket
// alone, and through herdws (timed, recorded, the reply handed over by the
// connection's reader goroutine). bare writes with the task's context, as
// herdws does, and reads with a context that has no Done channel, as
// herdws's reader does (bare-ctx reads with the task's context: one
// context.AfterFunc more per read). herdws minus bare is herdws's
// overhead; see docs/PERFORMANCE.md.
func BenchmarkRequestReply(b *testing.B) {
	for _, transport := range []string{"loopback", "pipe"} {
		url, hc := echoServer(b, transport == "pipe")
		for _, users := range []int{1, 32} {
			name := transport + "/users=" + strconv.Itoa(users) + "/"
			bare := func(readCtx bool) func(ctx context.Context) (client, error) {
				return func(ctx context.Context) (client, error) {
					c, _, err := websocket.Dial(ctx, "ws"+url[len("http"):], &websocket.DialOptions{HTTPClient: hc})
					return &bareClient{c: c, readCtx: readCtx}, err
				}
			}
			b.Run(name+"bare", func(b *testing.B) { inUsers(b, url, users, bare(false)) })
			b.Run(name+"bare-ctx", func(b *testing.B) { inUsers(b, url, users, bare(true)) })
			b.Run(name+"herdws", func(b *testing.B) {
				inUsers(b, url, users, func(ctx context.Context) (client, error) {
					c, err := herdws.Dial(ctx, "/", herdws.HTTPClient(hc))
					return herdwsClient{c}, err
				})
			})
		}
	}
}
