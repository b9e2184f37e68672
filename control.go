package herd

import (
	"context"
	"log/slog"
	"time"

	"github.com/herdload/herd/internal/capacity"
	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/control"
	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// The root package hands a test's life to internal/control: the types it
// runs, a runner for each test (localRunner), and the event listeners as
// hooks. This file is that seam.

// controlOptions describes t to the orchestration: all are the runnable
// types, picked those named on the command line (or all).
func (t *Test) controlOptions(cfg config.Config, env Env, log *slog.Logger, node *Node, all, picked []*userType) control.Options {
	types := make([]control.Type, len(all))
	byName := make(map[string]*userType, len(all))
	for i, ut := range all {
		types[i] = control.Type{Name: ut.Name, Weight: ut.Weight, FixedCount: ut.FixedCount, Host: ut.host, NeedsHost: ut.http}
		byName[ut.Name] = ut
	}
	named := func(names []string) []*userType {
		out := make([]*userType, 0, len(names))
		for _, name := range names {
			if ut := byName[name]; ut != nil {
				out = append(out, ut)
			}
		}
		return out
	}
	var shape control.Shape
	if t.Shape != nil {
		shape = loadShape{t.Shape}
	}
	return control.Options{
		Config: cfg, Log: log, Prog: env.Prog, Stdout: env.Stdout, Stderr: env.Stderr, Stdin: env.Stdin,
		Args: env.Args, Exec: env.Exec,
		Types:  types,
		Picked: typeList(picked),
		NewLocal: func(spec control.LocalSpec) (control.Local, error) {
			rt := make([]*userType, len(spec.Types))
			for i, st := range spec.Types {
				ut := *byName[st.Name]
				ut.host = st.Host
				rt[i] = &ut
			}
			r, err := newRunner(rt, spec.Stats, &t.Events, log, runnerOptions{
				stopTimeout:    spec.StopTimeout,
				requestTimeout: cfg.RequestTimeout,
				tags:           cfg.Tags,
				exclude:        cfg.ExcludeTags,
				node:           node,
			})
			if err != nil {
				return nil, err
			}
			return localRunner{r}, nil
		},
		Capacity: func(counts map[string]int) (string, error) {
			types := make([]*userType, 0, len(counts))
			n := make([]int, 0, len(counts))
			for name, c := range counts {
				if ut := byName[name]; ut != nil {
					types, n = append(types, ut), append(n, c)
				}
			}
			return capacity.Probe().Check(needFor(types, n))
		},
		TaskRatio: func(names []string, counts map[string]int) report.TaskRatio {
			return taskRatio(named(names), counts, cfg.Tags, cfg.ExcludeTags)
		},
		Shape:        shape,
		FallbackHost: t.FallbackHost,
		WebUI:        t.WebUI.extension(node), // webext.go
		Hooks:        t.optionHooks(t.Events.hooks(node), node, log),
	}
}

func typeList(types []*userType) []string {
	names := make([]string, len(types))
	for i, ut := range types {
		names[i] = ut.Name
	}
	return names
}

// hooks are e's listeners as the orchestration calls them, each with a
// context that carries n.
func (e *Events) hooks(n *Node) control.Hooks {
	ctx := withNode(context.Background(), n)
	h := control.Hooks{
		Registered: func(index int, send func(string, any) error) {
			n.index.Store(int64(index))
			n.setSendUp(send)
		},
		MasterStarted: func(send func(string, any, string) error) {
			n.mu.Lock()
			n.sendDown = send
			n.mu.Unlock()
		},
		Message: func(from, typ string, data any) {
			e.deliver(ctx, Message{Type: typ, Data: data, From: from})
		},
	}
	if len(e.init) > 0 {
		h.Init = func(info control.RunInfo) error {
			ri := &RunInfo{Host: info.Host, Users: info.Users, SpawnRate: info.SpawnRate, UserTypes: info.UserTypes}
			for _, fn := range e.init {
				if err := fn(ctx, ri); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if len(e.testStart) > 0 {
		h.TestStart = func() error {
			for _, fn := range e.testStart {
				if err := fn(ctx); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if len(e.testStopping) > 0 {
		h.TestStopping = func() {
			for _, fn := range e.testStopping {
				fn(ctx)
			}
		}
	}
	if len(e.testStop) > 0 {
		h.TestStop = func() {
			for _, fn := range e.testStop {
				fn(ctx)
			}
		}
	}
	if len(e.resetStats) > 0 {
		h.ResetStats = func() {
			for _, fn := range e.resetStats {
				fn(ctx)
			}
		}
	}
	if len(e.cpuWarning) > 0 {
		h.CPUWarning = func(percent float64) {
			for _, fn := range e.cpuWarning {
				fn(ctx, percent)
			}
		}
	}
	if len(e.workerChange) > 0 {
		h.WorkerChange = func(ch control.WorkerChange) { // events.go
			w := ch.Worker
			wc := WorkerChange{Kind: WorkerChangeKind(ch.Kind), Worker: WorkerInfo{ID: w.ID, Index: w.Index, State: w.State, Users: w.Users, CPU: w.CPU, Memory: w.Memory}}
			for _, fn := range e.workerChange {
				fn(ctx, wc)
			}
		}
	}
	if len(e.spawningComplete) > 0 {
		h.SpawningComplete = func(users int) {
			for _, fn := range e.spawningComplete {
				fn(users)
			}
		}
	}
	if len(e.quitting) > 0 {
		h.Quitting = func(final *stats.Snapshot, code int) int {
			q := &Quit{Stats: newStatsSnapshot(final), ExitCode: code, Node: n}
			for _, fn := range e.quitting {
				fn(q)
			}
			return q.ExitCode
		}
	}
	if len(e.reportToMaster) > 0 {
		h.ReportExtra = func() map[string]any {
			data := map[string]any{}
			for _, fn := range e.reportToMaster {
				fn(ctx, data)
			}
			return data
		}
	}
	if len(e.workerReport) > 0 {
		h.WorkerReport = func(worker string, extra map[string]any) {
			for _, fn := range e.workerReport {
				fn(ctx, worker, extra)
			}
		}
	}
	return h
}

// localRunner is a runner as the orchestration drives it.
type localRunner struct{ r *runner }

var _ control.Local = localRunner{}

func (l localRunner) Ramp(target int, rate float64, done func(int)) { l.r.start(target, rate, done) }
func (l localRunner) SetCounts(counts map[string]int)               { l.r.setTypeCounts(counts) }
func (l localRunner) Restrict(names []string) error                 { return l.r.restrict(names) }
func (l localRunner) Stop(grace time.Duration) int                  { return l.r.stop(grace) }
func (l localRunner) Users() int                                    { return l.r.userCount() }
func (l localRunner) Counts() map[string]int                        { return l.r.countsByType() }
func (l localRunner) StopTestRequested() <-chan struct{}            { return l.r.stopTestRequested() }

func (l localRunner) StartOpen(o control.OpenOptions) error {
	quantum := o.Quantum
	if quantum <= 0 {
		quantum = time.Nanosecond // each iteration at its own instant
	}
	return l.r.startOpen(openOptions{next: o.Next, start: o.Start, pool: o.Pool, maxUsers: o.MaxUsers,
		maxLate: o.MaxLate, quantum: quantum, onEnd: o.OnEnd})
}

// loadShape is a test's LoadShape as the orchestration asks it.
type loadShape struct{ s LoadShape }

func (l loadShape) At(in control.ShapeInput) (control.ShapeTick, bool) {
	s := &ShapeState{Elapsed: in.Elapsed, Users: in.Users, UsersByType: in.Counts}
	if s.UsersByType == nil {
		s.UsersByType = map[string]int{}
	}
	st, ok := l.s.Tick(s)
	return control.ShapeTick{Users: st.Users, SpawnRate: st.SpawnRate, UserTypes: st.UserTypes, ResetTime: s.reset}, ok
}
