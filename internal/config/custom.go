package config

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/herdload/herd/internal/duration"
)

// groupTest is the help group of a test program's own options.
const groupTest = "Test options"

// Custom is an option a test program declares for itself (Locust's
// init_command_line_parser): it is set like any built-in option, by the
// flag --Name, the environment variable HERD_NAME, the config-file key Name
// or the test program's defaults, and --help lists it under "Test options".
type Custom struct {
	// Name is the long flag name, e.g. "my-argument": lower-case letters,
	// digits and dashes, starting with a letter.
	Name string
	// Default is the value when no layer sets one; its type is the
	// option's: string, int, float64, bool or time.Duration.
	Default any
	// Help is the option's line in --help.
	Help string
}

var customNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// ParseCustom converts s to a value of the type of def (string, int,
// float64, bool or time.Duration), as the option's flag would.
func ParseCustom(def any, s string) (any, error) {
	p, err := customPointer(def)
	if err != nil {
		return nil, err
	}
	if err := assignValue(p, nil, s); err != nil {
		return nil, err
	}
	return deref(p), nil
}

// FormatCustom is v as its option's flag would take it.
func FormatCustom(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return duration.Format(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// customPointer is a pointer to a new variable of def's type, holding def.
func customPointer(def any) (any, error) {
	switch d := def.(type) {
	case string:
		return &d, nil
	case int:
		return &d, nil
	case float64:
		return &d, nil
	case bool:
		return &d, nil
	case time.Duration:
		return &d, nil
	}
	return nil, fmt.Errorf("default %v has type %T; want string, int, float64, bool or time.Duration", def, def)
}

func deref(p any) any {
	switch x := p.(type) {
	case *string:
		return *x
	case *int:
		return *x
	case *float64:
		return *x
	case *bool:
		return *x
	case *time.Duration:
		return *x
	}
	return nil
}

// customOptions turns the declarations into option table entries (after
// the built-in ones), reporting bad declarations.
func customOptions(decls []Custom) ([]option, Problems) {
	var opts []option
	var probs Problems
	seen := map[string]bool{}
	for _, d := range decls {
		bad := func(msg string) {
			probs = append(probs, Problem{Source: sourceTestOptions, Message: fmt.Sprintf("option %q: %s", d.Name, msg)})
		}
		switch {
		case !customNameRE.MatchString(d.Name):
			bad("a name is lower-case letters, digits and dashes, starting with a letter")
			continue
		case d.Name == "help" || lookupOption(d.Name) != nil:
			bad("herd has an option of that name")
			continue
		case seen[d.Name]:
			bad("declared twice")
			continue
		}
		if _, err := customPointer(d.Default); err != nil {
			bad(err.Error())
			continue
		}
		seen[d.Name] = true
		def := d.Default
		o := option{name: d.Name, group: groupTest, help: d.Help, custom: true,
			field: func(*Config) any { p, _ := customPointer(def); return p }}
		if s := FormatCustom(def); s != "" && def != false {
			o.def = s
		}
		opts = append(opts, o)
	}
	return opts, probs
}

// sourceTestOptions is the Problem.Source of a bad declaration.
const sourceTestOptions = "test options"

// assignCustom resolves a custom option from its layers, lowest first, into
// c.Custom: each good value replaces the one below it.
func assignCustom(c *Config, o *option, lvs []layerValue) Problems {
	if c.Custom == nil {
		c.Custom = map[string]any{}
	}
	p := o.field(c)
	var probs Problems
	for _, lv := range lvs {
		var err error
		if len(lv.vals) != 1 {
			err = fmt.Errorf("takes a single value, got a list of %d", len(lv.vals))
		} else {
			err = assignValue(p, nil, lv.vals[0])
		}
		if err != nil {
			probs = append(probs, Problem{Source: lv.source, Field: o.name, Message: err.Error()})
		}
	}
	c.Custom[o.name] = deref(p)
	return probs
}
