package herd

import (
	"context"
	"net/http"
)

// LoopUser is a user type for the most requests per CPU second in a closed
// loop: its users are state machines on an event loop per core (one
// goroutine, epoll, non-blocking system calls; Linux only), not goroutines
// running task code, so a request costs no goroutine park or wake. Instead
// of tasks, a LoopUser declares its requests: each user sends them in
// order, over and over, one at a time, waiting its type's wait time (if
// any) after each, until it stops. In the open model (--arrival-rate) an
// iteration sends the list once.
//
// Requests go out with the same bytes a FastHTTPUser sends for the same
// method, URL, headers and body, on keep-alive connections of the user's
// own (one per host), with a cookie jar per user (Set-Cookie, then Cookie),
// redirects followed as FastHTTPUser follows them, --request-timeout over
// each request with its redirects, and each request recorded like
// FastHTTPUser's (a status of 400 or more is a failure unless Status says
// otherwise). A graceful stop lets the request in flight finish; a kill
// records it as interrupted, as for HTTP users.
//
// Limits: plain http:// only (an https:// URL is refused when the user
// starts); no task code, so no response bodies to read (their bytes are
// counted and dropped); request listeners (Events.OnRequest) run on the
// loop's goroutine, where a slow listener holds up every user of that loop,
// and their Request.Response has no Body or headers. A cookie the jar
// holds is sent until the jar changes (an expiry alone is seen at the
// jar's next change). While requests flow, a loop keeps its CPU (its P)
// between system calls and yields it once a millisecond: other goroutines
// of the process that share it (other user types' users, in a mixed test)
// may wait up to that long.
//
//	{Name: "api", New: func() herd.User {
//		return &herd.LoopUser{Requests: []herd.LoopRequest{{URL: "/"}, {URL: "/items", Name: "items"}}}
//	}}
type LoopUser struct {
	// Requests are sent in this order, over and over. A user shares the
	// slice with its siblings and only reads it.
	Requests []LoopRequest

	loop loopState // the running user's state, see loopuser_linux.go
}

// LoopRequest is one request of a LoopUser.
type LoopRequest struct {
	// Method is "GET" when empty.
	Method string
	// URL is relative to the user's host, or an absolute http:// URL.
	URL string
	// Header is added to the request (Host and User-Agent replace the
	// defaults), keys in sorted order.
	Header http.Header
	// Body is sent with the request: Raw, JSON or Form.
	Body Body
	// Name is the statistics name; by default the URL's path and query.
	Name string
	// Status, when not zero, is the only status code that counts as a
	// success; otherwise any below 400 does.
	Status int
}

// Tasks is one task that hands the user to its event loop and returns when
// the user stops (after one pass over Requests in the open model).
func (u *LoopUser) Tasks() []Task {
	return []Task{{Name: "LoopUser", Run: u.run}}
}

// OnStart checks and prepares the requests: the user does not start (and
// OnStart's error is logged as usual) when one cannot be sent.
func (u *LoopUser) OnStart(ctx context.Context) error { return u.prepare(ctx) }

func (u *LoopUser) herdInit(env *userEnv) { u.loop.env = env }
func (u *LoopUser) herdClose()            { u.close() }
