package herd

import (
	"context"
	"time"

	"github.com/herdload/herd/internal/failure"
	"github.com/herdload/herd/internal/stats"
)

// userEnv is what herd keeps for one running user: where its requests are
// recorded and what its HTTP clients need. Tasks reach it through their ctx.
type userEnv struct {
	id       int
	typeName string
	host     string // base URL
	shard    *stats.Shard
	events   *Events
	ctx      context.Context // the user's life: cancelled when it is killed
	timeout  time.Duration   // per HTTP request
	maxBody  int64           // body bytes kept in a Response
	node     *Node           // this process's place in a distributed run
	// open is set for open-model users; late is how late the current
	// iteration started, added to each request's service time to time it
	// from its intended start.
	open bool
	late time.Duration
	// x is the user's executor, for herd.Wait and the clients closed with
	// the user; nil for an environment made outside a run.
	x *executor
}

type envKey struct{}

// A user's environment is also the context its tasks get: the user's life
// (ctx) carrying the environment, without a context.WithValue object of
// its own per user. Cancellation and other values are ctx's.

func (env *userEnv) Deadline() (time.Time, bool) { return env.ctx.Deadline() }
func (env *userEnv) Done() <-chan struct{}       { return env.ctx.Done() }
func (env *userEnv) Err() error                  { return env.ctx.Err() }

// Value is env for envKey, else ctx's.
func (env *userEnv) Value(key any) any {
	if key == (envKey{}) {
		return env
	}
	return env.ctx.Value(key)
}

func envFrom(ctx context.Context) *userEnv {
	env, _ := ctx.Value(envKey{}).(*userEnv)
	return env
}

// record is the hot path shared by every client: classify, notify, count.
// ctx is the context the request was made with.
//
// A request that failed because its user was killed (the user's life is
// over and ctx was cancelled with it) was in flight at the stop: it counts
// as a failure with one fixed message, and its duration so far as a sample
// (see Record). A request's own timeout, a task's own cancelled
// sub-context, or OnStop's context (which outlives a kill) keep their
// usual class.
func (env *userEnv) record(ctx context.Context, r *Request) {
	msg := ""
	if r.Err != nil {
		if env.ctx.Err() != nil && ctx.Err() == context.Canceled {
			r.Err = &failure.InterruptedError{Err: r.Err}
		}
		msg = failure.Message(r.Err)
	}
	for _, fn := range env.events.request {
		fn(*r)
	}
	if env.open {
		env.shard.RecordIntended(r.Kind, r.Name, r.Duration, r.Duration+env.late, r.Size, msg)
		return
	}
	env.shard.Record(r.Kind, r.Name, r.Duration, r.Size, msg)
}

// unsent reports whether a request about to be made with ctx will not be
// sent because its user was killed: a client that sees ctx done before it
// starts sends nothing, so there is nothing to record (a task that ignores
// the kill and keeps calling would otherwise fill the failure table).
func (env *userEnv) unsent(ctx context.Context) bool {
	return env.ctx.Err() != nil && ctx.Err() != nil // the user's first: one call less
}

// unsentError is a request its user's kill cut short before any of it was
// written: the target got nothing, so a client does not record it (a
// request that did leave is recorded as interrupted at the stop).
type unsentError struct{ err error }

func (e unsentError) Error() string { return e.err.Error() }
func (e unsentError) Unwrap() error { return e.err }

// initer is implemented by the embeddable user kinds (HTTPUser,
// FastHTTPUser) to set up their client before OnStart.
type initer interface {
	herdInit(env *userEnv)
}

// closer releases a user's client when it stops.
type closer interface {
	herdClose()
}
