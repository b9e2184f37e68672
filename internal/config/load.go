package config

import (
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Input is what [Load] resolves a configuration from.
type Input struct {
	// Args are the command-line arguments without the program name.
	Args []string
	// Getenv reads the environment: os.Getenv in production, a map lookup
	// in tests; nil means an empty environment. An empty variable counts as
	// unset.
	Getenv func(string) string
	// Defaults are the test program's own defaults (herd demo's, or those
	// of a test's main), written as command-line arguments, e.g.
	// []string{"-u", "20", "-r", "10", "-t", "30s"}. They override the
	// built-in defaults and are overridden by the config file, the
	// environment and the flags. Problems in them name the source
	// "test program defaults".
	Defaults []string
	// Custom are the test program's own options, set like built-in ones;
	// Config.Custom holds their values.
	Custom []Custom
}

// sourceDefaults is the Problem.Source of a value from [Input.Defaults].
const sourceDefaults = "test program defaults"

// Load resolves the configuration from built-in defaults < test program
// defaults < config file < environment < command-line flags, per field, and
// validates the result: every layer's values (a bad value is reported even
// when a higher layer overrides it), the combination of options, and the
// paths of the files the run will write (see [Config.Validate] for the
// rules that need no file system). Unknown HERD_* variables are ignored.
//
// Load returns [ErrHelp] for -h/--help on the command line, [ErrVersion]
// for -V/--version. Otherwise any
// error is a [Problems] listing every problem found; the returned Config
// then holds whatever could be resolved (a bad value leaves the field as
// the layers below it set it).
func Load(in Input) (Config, error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	custom, declProbs := customOptions(in.Custom)
	table := slices.Concat(options, custom)
	flags, err := parseArgs(in.Args, table)
	if err != nil {
		if wantsHelp(in.Args) {
			return Default(), ErrHelp
		}
		if wantsVersion(in.Args) {
			return Default(), ErrVersion
		}
		return Default(), Problems{{
			Source:  "command line",
			Message: err.Error() + " (run with --help to see the options)",
		}}
	}
	if flags.help {
		return Default(), ErrHelp
	}
	if flags.version {
		return Default(), ErrVersion
	}

	probs := declProbs
	defaults, err := parseArgs(in.Defaults, table)
	switch {
	case err != nil:
		probs = append(probs, Problem{Source: sourceDefaults, Message: err.Error()})
		defaults = args{}
	case defaults.help:
		probs = append(probs, Problem{Source: sourceDefaults, Message: "-h/--help is not an option to default"})
	case defaults.version:
		probs = append(probs, Problem{Source: sourceDefaults, Message: "-V/--version is not an option to default"})
	}

	// The config file is named on the command line, in the environment or
	// by the test program.
	var file map[string]fileValue
	var notes []string
	path, pathSource := "", ""
	if vals, ok := flags.values(optionNamed("config")); ok {
		path, pathSource = vals[len(vals)-1], "flag --config"
	} else if v := getenv(envName("config")); v != "" {
		path, pathSource = v, "environment "+envName("config")
	} else if vals, ok := defaults.values(optionNamed("config")); ok {
		path, pathSource = vals[len(vals)-1], sourceDefaults
	}
	if path != "" {
		var fp Problems
		file, fp, notes = readConfigFile(path, pathSource, table)
		probs = append(probs, fp...)
	}

	// Every layer's value of every option is converted and checked, lowest
	// first; each good one replaces the one below it.
	cfg := Default()
	cfg.Notes = notes
	sources := make(map[string]string, len(table))
	for i := range table {
		o := &table[i]
		if o.custom {
			probs = append(probs, assignCustom(&cfg, o, layerValues(o, defaults, file, getenv, flags))...)
			continue
		}
		for _, lv := range layerValues(o, defaults, file, getenv, flags) {
			next := cfg
			errs := o.assign(&next, lv.vals)
			if len(errs) == 0 {
				if msg := next.checkField(o.name); msg != "" {
					errs = append(errs, errors.New(msg))
				}
			}
			for _, err := range errs {
				probs = append(probs, Problem{Source: lv.source, Field: o.name, Message: err.Error()})
			}
			if len(errs) == 0 {
				cfg, sources[o.name] = next, lv.source
			}
		}
	}

	// Rules about several options, and the files to write, concern the
	// resolved values.
	for _, p := range append(cfg.checkCombinations(), cfg.checkOutputs()...) {
		p.Source = sources[p.Field]
		probs = append(probs, p)
	}
	if len(probs) > 0 {
		// Problems about no single option (config-file syntax, unknown keys)
		// come first, then the rest in the order options are listed in
		// --help, each option's from its lowest layer up.
		index := func(name string) int {
			return slices.IndexFunc(table, func(o option) bool { return o.name == name })
		}
		slices.SortStableFunc(probs, func(a, b Problem) int { return index(a.Field) - index(b.Field) })
		return cfg, probs
	}
	return cfg, nil
}

// layerValue is the raw value of an option in one layer.
type layerValue struct {
	vals   []string
	source string
}

// layerValues lists the layers that set o, lowest first.
func layerValues(o *option, defaults args, file map[string]fileValue, getenv func(string) string, flags args) []layerValue {
	var lvs []layerValue
	if vals, ok := defaults.values(o); ok {
		lvs = append(lvs, layerValue{vals, sourceDefaults})
	}
	if fv, ok := file[o.name]; ok {
		lvs = append(lvs, layerValue{fv.vals, fv.source})
	}
	for _, sv := range o.standardEnv {
		if v := getenv(sv.name); v != "" {
			if sv.value != nil {
				v = sv.value(v)
			}
			lvs = append(lvs, layerValue{[]string{v}, "environment " + sv.name})
			break
		}
	}
	if v := getenv(envName(o.name)); v != "" {
		lvs = append(lvs, layerValue{[]string{v}, "environment " + envName(o.name)})
	}
	if vals, ok := flags.values(o); ok {
		src := "flag --" + o.name
		if o.positional {
			src = "command line"
		}
		lvs = append(lvs, layerValue{vals, src})
	}
	return lvs
}

// args are command-line arguments, parsed: the raw text of each flag given,
// the positional arguments, and whether help or the version was asked for.
type args struct {
	raws       map[string]*rawFlag
	positional []string
	help       bool
	version    bool
}

// parseArgs parses command-line style arguments without converting any
// value, so that every layer is converted, and every problem reported, the
// same way.
func parseArgs(argv []string, table []option) (args, error) {
	fs := pflag.NewFlagSet("herd", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a := args{raws: make(map[string]*rawFlag, len(table))}
	for i := range table {
		o := &table[i]
		if o.positional {
			continue
		}
		r := &rawFlag{opt: o}
		a.raws[o.name] = r
		f := fs.VarPF(r, o.name, o.short, o.help)
		if o.isBool() {
			f.NoOptDefVal = "true"
		}
	}
	help := fs.BoolP("help", "h", false, "show this help message and exit")
	version := fs.BoolP("version", "V", false, "show the program's version and exit")
	if err := fs.Parse(argv); err != nil {
		return args{}, err
	}
	a.positional, a.help, a.version = fs.Args(), *help, *version
	return a, nil
}

// values returns the raw values a gives option o, if it gives any.
func (a args) values(o *option) ([]string, bool) {
	if o.positional {
		return a.positional, len(a.positional) > 0
	}
	r := a.raws[o.name]
	if r == nil || !r.set {
		return nil, false
	}
	return r.vals, true
}

// optionIndex is the position of the named option in the option table, or
// -1 for "".
func optionIndex(name string) int {
	return slices.IndexFunc(options, func(o option) bool { return o.name == name })
}

// optionNamed is the option with long name name, which must exist.
func optionNamed(name string) *option {
	return &options[optionIndex(name)]
}

// wantsHelp reports whether -h or --help appears before a "--" terminator.
// It lets help win over an unrelated flag syntax error.
func wantsHelp(args []string) bool {
	return hasFlag(args, "-h", "--help")
}

// wantsVersion is wantsHelp for -V and --version.
func wantsVersion(args []string) bool {
	return hasFlag(args, "-V", "--version")
}

// hasFlag reports whether short or long appears before a "--" terminator.
func hasFlag(args []string, short, long string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case short, long:
			return true
		}
	}
	return false
}

// envName is the environment variable for the option with long name name.
func envName(name string) string {
	return "HERD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// rawFlag is a pflag.Value that only records the raw text given on the
// command line; conversion happens later.
type rawFlag struct {
	opt  *option
	vals []string
	set  bool
}

func (r *rawFlag) String() string { return strings.Join(r.vals, ",") }

func (r *rawFlag) Set(s string) error {
	if r.opt.isList() {
		r.vals = append(r.vals, s) // repeated list flags accumulate
	} else {
		r.vals = []string{s} // the last one wins
	}
	r.set = true
	return nil
}

func (r *rawFlag) Type() string { return r.opt.typeName() }

// lookupOption finds an option by long name, also accepting underscores for
// dashes and any letter case, as config-file keys may be written.
func lookupOption(key string) *option { return lookupIn(options, key) }

// lookupIn is lookupOption in table.
func lookupIn(table []option, key string) *option {
	k := strings.ToLower(strings.ReplaceAll(key, "_", "-"))
	i := slices.IndexFunc(table, func(o option) bool { return o.name == k })
	if i < 0 {
		return nil
	}
	return &table[i]
}
