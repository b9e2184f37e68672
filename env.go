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
}

type envKey struct{}

func envFrom(ctx context.Context) *userEnv {
	env, _ := ctx.Value(envKey{}).(*userEnv)
	return env
}

// record is the hot path shared by every client: classify, notify, count.
func (env *userEnv) record(r *Request) {
	msg := ""
	if r.Err != nil {
		if env.ctx.Err() != nil {
			return // aborted by a stop, not answered by the target
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

// initer is implemented by the embeddable user kinds (HTTPUser,
// FastHTTPUser) to set up their client before OnStart.
type initer interface {
	herdInit(env *userEnv)
}

// closer releases a user's client when it stops.
type closer interface {
	herdClose()
}
