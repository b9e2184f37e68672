package herd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// SingleUser configures RunSingleUser.
type SingleUser struct {
	// Host is the user's host; "" means its type's Host.
	Host string
	// Iterations is how many tasks the user runs, picked by weight and
	// entering and leaving task sets as in a test. 0 runs one pass: each
	// task once, in order, and in a task set each of its tasks once.
	Iterations int
	// Out gets a line for every request and every error of user code;
	// nil means os.Stderr.
	Out io.Writer
	// Events, when not nil, has listeners to call as a run would: OnRequest
	// and OnUserError (the test's others belong to a whole run).
	Events *Events
	// RequestTimeout bounds each HTTP request; 0 means 60 s, as
	// --request-timeout.
	RequestTimeout time.Duration
}

// RunSingleUser runs one user of type ut for debugging, like Locust's
// run_single_user: New, OnStart, one pass over its tasks (or
// o.Iterations tasks) with its waits, OnStop, printing a line for every
// request (method, URL, status, time, size and failure) and every error of
// user code. User code runs on the calling goroutine, so a debugger's
// breakpoints in tasks work as in any Go program, and nothing else runs
// meanwhile (net/http's connections aside). A task returning ErrStopUser
// or ErrStopTest ends the run early; cancelling ctx kills the user.
//
// It returns an error when ut cannot run, or when a request failed or
// user code returned an error or panicked (the lines say which).
func RunSingleUser(ctx context.Context, ut *UserType, o SingleUser) error {
	if ut == nil || ut.New == nil {
		return errors.New("herd.RunSingleUser: the user type has no New function")
	}
	host := cmp.Or(o.Host, ut.Host)
	probe := ut.New()
	if probe == nil {
		return fmt.Errorf("herd.RunSingleUser: user type %s: New returned nil", ut.Name)
	}
	if err := checkTasks(ut.Name, probe.Tasks()); err != nil {
		return fmt.Errorf("herd.RunSingleUser: %w", err)
	}
	if _, http := probe.(initer); http {
		switch {
		case host == "":
			return fmt.Errorf("herd.RunSingleUser: user type %s is an HTTP user and has no host: set SingleUser.Host or UserType.Host", ut.Name)
		case !isHTTPURL(host):
			return fmt.Errorf("herd.RunSingleUser: %w", httpHostError(ut.Name, host))
		}
	} else if host != "" && !validHost(host) {
		return fmt.Errorf("herd.RunSingleUser: user type %s: host %q is neither an absolute URL nor host:port", ut.Name, host)
	}
	out := o.Out
	if out == nil {
		out = os.Stderr
	}
	p := &singlePrinter{w: out}
	ev := p.events(o.Events)
	typ := &userType{UserType: ut, host: host}
	st := stats.New(time.Now(), stats.Options{Shards: 1})
	r, err := newRunner([]*userType{typ}, st, ev, slog.New(slog.NewTextHandler(out, nil)), runnerOptions{
		requestTimeout: cmp.Or(o.RequestTimeout, 60*time.Second),
	})
	if err != nil {
		return fmt.Errorf("herd.RunSingleUser: %w", err)
	}
	r.cancel() // newRunner's own life: the user's is ctx
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.kill()
	// ctx's end kills the user: its clients' watchers hear of it.
	defer context.AfterFunc(ctx, r.kill)()

	uctx, cancel := context.WithCancel(r.ctx)
	h := &userHandle{cancel: cancel}
	x := &executor{r: r, h: h, typ: typ}
	h.x = x
	r.active[0] = append(r.active[0], h)
	r.users.Add(1)
	r.running.Add(1)
	x.single(uctx, o.Iterations)
	return p.verdict()
}

// single runs the user on this goroutine: no parking, no replacement
// after a failed OnStart.
func (x *executor) single(ctx context.Context, iterations int) {
	x.setEnv(ctx, 0)
	if !x.make() {
		return
	}
	x.lastEnd = time.Now()
	if s, ok := x.user.(onStarter); ok {
		if err := x.onStart(s); err != nil {
			x.closeClients() // OnStart failed: no OnStop, as in a run
			x.end()
			return
		}
		if errors.Is(x.lastErr, ErrStopUser) || errors.Is(x.lastErr, ErrStopTest) {
			x.finish(outStop)
			return
		}
	}
	left := iterations
	if iterations <= 0 {
		left = -1 // one pass
	}
	x.finish(x.singleLoop(x.ctx, x.set, 0, &left))
}

// singleLoop runs c's tasks once each in order (*left < 0), or until *left
// tasks ran, with the loop's rules for control errors and task sets.
func (x *executor) singleLoop(ctx context.Context, c *compiled, depth int, left *int) outcome {
	for n := 0; ; n++ {
		var i int
		switch {
		case ctx.Err() != nil:
			return outStop
		case *left < 0:
			if n == len(c.tasks) {
				if depth > 0 {
					return outInterrupt // the pass is over: leave the set
				}
				return outStop
			}
			i = n
		case *left == 0:
			return outStop
		default:
			i = c.pick(n)
		}
		x.cur = c
		t := &c.tasks[i]
		if sub := c.set(i); sub != nil {
			if t.Set.OnStart != nil {
				x.call(ctx, "TaskSet.OnStart", nil, t.Set.OnStart)
				switch err := x.lastErr; {
				case errors.Is(err, ErrInterrupt):
					continue
				case errors.Is(err, ErrStopUser):
					return outStopUser
				case errors.Is(err, ErrStopTest):
					return outStop
				}
			}
			out := x.singleLoop(ctx, sub, depth+1, left)
			if t.Set.OnStop != nil {
				x.callOnStop(ctx, t.Set.OnStop)
			}
			if out != outInterrupt {
				return out
			}
			continue
		}
		err := errCaught
		if x.call(ctx, "", t, t.Run) {
			err = x.lastErr
		}
		if *left > 0 {
			*left--
		}
		switch {
		case errors.Is(err, ErrStopUser):
			return outStopUser
		case errors.Is(err, ErrStopTest):
			return outStop
		case errors.Is(err, ErrInterrupt):
			if depth > 0 {
				return outInterrupt
			}
			continue
		case errors.Is(err, ErrReschedule):
			continue
		}
		if w := c.wait; w != nil {
			now := time.Now()
			err := Sleep(ctx, w(now.Sub(x.lastEnd)))
			x.lastEnd = time.Now()
			if err != nil {
				return outStop
			}
		}
	}
}

// singlePrinter prints a single user's requests and errors, and counts
// what failed.
type singlePrinter struct {
	w                  io.Writer
	requests, failures int
	errors             int
}

// events are base's listeners (when not nil) followed by the printer's.
func (p *singlePrinter) events(base *Events) *Events {
	ev := &Events{}
	if base != nil {
		ev.request = slices.Clone(base.request)
		ev.userError = slices.Clone(base.userError)
	}
	ev.request = append(ev.request, p.request)
	ev.userError = append(ev.userError, p.userError)
	return ev
}

// request prints "GET http://host/path 200 1.23ms 512B", and the failure.
func (p *singlePrinter) request(r Request) {
	p.requests++
	var b strings.Builder
	b.WriteString(r.Kind)
	b.WriteByte(' ')
	b.WriteString(cmp.Or(r.URL, r.Name))
	if r.Response != nil && r.Response.StatusCode != 0 {
		fmt.Fprintf(&b, " %d", r.Response.StatusCode)
	}
	fmt.Fprintf(&b, " %v %dB", r.Duration.Round(10*time.Microsecond), r.Size)
	if r.Err != nil {
		p.failures++
		fmt.Fprintf(&b, " FAILED: %v", r.Err)
	}
	b.WriteByte('\n')
	io.WriteString(p.w, b.String())
}

func (p *singlePrinter) userError(e UserError) {
	p.errors++
	fmt.Fprintf(p.w, "ERROR in %s.%s: %v\n", e.UserType, e.Task, e.Err)
	if e.Stack != "" {
		fmt.Fprintf(p.w, "%s\n", e.Stack)
	}
}

func (p *singlePrinter) verdict() error {
	if p.failures == 0 && p.errors == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d requests failed, %d errors in user code", p.failures, p.requests, p.errors)
}
