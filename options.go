package herd

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync/atomic"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/control"
	"github.com/herdload/herd/internal/web"
)

// Options are a test's own command-line options (Locust's
// init_command_line_parser), declared on Test.Options before the test runs:
//
//	var test = &herd.Test{}
//	var batch = test.Options.Int("batch", 10, "Items per request")
//
// Each is set like any herd option, the later layer winning: its default,
// Test.Defaults, the config file (key batch), the environment (HERD_BATCH)
// and the flag (--batch 20). --help lists them under "Test options". In a
// distributed run the master sends its values to every worker with each
// spawn, as Locust sends parsed_options. Code reads a value with the
// TestOption's Get, or by name with OptionFrom. A bad value, or a name herd
// uses itself, is exit code 2 before anything runs. The web UI's start
// form shows each as a custom parameter, unless HideFromWebUI hid it.
type Options struct {
	decls  []config.Custom
	hidden map[string]bool // names kept out of the web UI (HideFromWebUI)
}

// TestOption is one of a test's own options, as Options.String, Int, Float,
// Bool or Duration declared it.
type TestOption[T any] struct {
	name string
	def  T
	opts *Options
}

func declare[T any](o *Options, name string, def T, help string) *TestOption[T] {
	o.decls = append(o.decls, config.Custom{Name: name, Default: def, Help: help})
	return &TestOption[T]{name: name, def: def, opts: o}
}

// HideFromWebUI keeps the option out of the web UI (Locust's
// include_in_web_ui=False): the start form does not show it, /api/state
// does not list it and /swarm cannot change it. It is still a flag, an
// environment variable and a config file key, --help lists it, and a master
// sends its value to every worker. It returns o, to chain on the
// declaration:
//
//	token := test.Options.String("api-token", "", "The API's token").HideFromWebUI()
func (o *TestOption[T]) HideFromWebUI() *TestOption[T] {
	if o.opts.hidden == nil {
		o.opts.hidden = map[string]bool{}
	}
	o.opts.hidden[o.name] = true
	return o
}

// String declares a text option: --name value.
func (o *Options) String(name, def, help string) *TestOption[string] {
	return declare(o, name, def, help)
}

// Int declares a whole-number option.
func (o *Options) Int(name string, def int, help string) *TestOption[int] {
	return declare(o, name, def, help)
}

// Float declares a number option.
func (o *Options) Float(name string, def float64, help string) *TestOption[float64] {
	return declare(o, name, def, help)
}

// Bool declares a switch: --name alone sets it, --name=false clears it.
func (o *Options) Bool(name string, def bool, help string) *TestOption[bool] {
	return declare(o, name, def, help)
}

// Duration declares a duration option: a Go duration (90s, 1m30s) or a
// number of seconds.
func (o *Options) Duration(name string, def time.Duration, help string) *TestOption[time.Duration] {
	return declare(o, name, def, help)
}

// Name is the option's long flag name.
func (o *TestOption[T]) Name() string { return o.name }

// Get returns the option's value in the run ctx belongs to (a task's,
// a user's or an event listener's context), or its default outside a run.
func (o *TestOption[T]) Get(ctx context.Context) T {
	if v, ok := NodeFrom(ctx).option(o.name).(T); ok {
		return v
	}
	return o.def
}

// OptionFrom returns the value of the test's own option name in the run
// ctx belongs to, as its flag would take it ("x", "20", "true", "1m30s"),
// and whether the run has such an option: Locust's
// environment.parsed_options.name for code that does not hold the TestOption.
func OptionFrom(ctx context.Context, name string) (string, bool) {
	v := NodeFrom(ctx).option(name)
	if v == nil {
		return "", false
	}
	return config.FormatCustom(v), true
}

// optionValues are a run's values of the test's own options by name; a
// worker's are replaced by each spawn from its master.
type optionValues = atomic.Pointer[map[string]any]

// option is the value of the named test option in n's run, nil if none.
func (n *Node) option(name string) any {
	if m := n.options.Load(); m != nil {
		return (*m)[name]
	}
	return nil
}

// setOptions makes vals the run's option values.
func (n *Node) setOptions(vals map[string]any) {
	if vals != nil {
		n.options.Store(&vals)
	}
}

// mergeOptions replaces the values vals gives (a /swarm's).
func (n *Node) mergeOptions(vals map[string]any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	next := map[string]any{}
	if cur := n.options.Load(); cur != nil {
		maps.Copy(next, *cur)
	}
	maps.Copy(next, vals)
	n.options.Store(&next)
}

// wireOptions are n's option values as a master sends them in each spawn's
// parsed_options: keyed by Locust's dest name (dashes as underscores),
// durations as text.
func (n *Node) wireOptions() map[string]any {
	m := n.options.Load()
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(*m))
	for k, v := range *m {
		if d, ok := v.(time.Duration); ok {
			v = config.FormatCustom(d)
		}
		out[destName(k)] = v
	}
	return out
}

// takeWireOptions sets n's values of the options decls declares from the
// parsed_options of a spawn; values the master lacks, or that do not
// convert (a Locust master's, of another type), keep theirs.
func (n *Node) takeWireOptions(decls []config.Custom, parsed map[string]any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	cur := n.options.Load()
	next := make(map[string]any, len(decls))
	if cur != nil {
		maps.Copy(next, *cur)
	}
	var bad []string
	for _, d := range decls {
		raw, ok := parsed[destName(d.Name)]
		if !ok || raw == nil {
			continue
		}
		v, err := config.ParseCustom(d.Default, config.FormatCustom(raw))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", d.Name, err))
			continue
		}
		next[d.Name] = v
	}
	n.options.Store(&next)
	if bad != nil {
		return fmt.Errorf("master's options: %s", strings.Join(bad, "; "))
	}
	return nil
}

// optionHooks adds to h the sending of the test's options with each
// spawn (a master) and their taking from it (a worker).
func (t *Test) optionHooks(h control.Hooks, n *Node, log *slog.Logger) control.Hooks {
	if len(t.Options.decls) == 0 {
		return h
	}
	h.ParsedOptions = n.wireOptions
	h.UIOptions = func() []web.CustomOption {
		out := make([]web.CustomOption, 0, len(t.Options.decls))
		for _, d := range t.Options.decls {
			if t.Options.hidden[d.Name] {
				continue // HideFromWebUI: neither shown nor settable by /swarm
			}
			o := web.CustomOption{Name: d.Name, Value: d.Default, Help: d.Help}
			if v := n.option(d.Name); v != nil {
				o.Value = v
			}
			out = append(out, o)
		}
		return out
	}
	h.SetOptions = n.mergeOptions
	h.Options = func(parsed map[string]any) {
		if err := n.takeWireOptions(t.Options.decls, parsed); err != nil {
			log.Warn("keeping this worker's values of some test options", "err", err)
		}
	}
	return h
}

// destName is Locust's attribute name of the option --name.
func destName(name string) string { return strings.ReplaceAll(name, "-", "_") }
