package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Source says where the offending value came from: "flag --users",
	// "environment HERD_USERS", "config file herd.conf:3", "command line"
	// or "test program defaults" ([Input.Defaults]). It is empty for
	// problems found by [Config.Validate] on its own.
	Source string
	// Field is the long option name the problem is about ("users",
	// "spawn-rate", "user-classes"), or empty when it concerns no single
	// option (an unknown flag or config-file key, a config-file syntax error).
	Field string
	// Message says what is wrong and what is accepted.
	Message string
}

// String renders the problem on one line, e.g.
//
//	--users: "abc" is not a whole number (from environment HERD_USERS)
func (p Problem) String() string {
	var b strings.Builder
	if p.Field != "" {
		if o := lookupOption(p.Field); o != nil {
			b.WriteString(o.label())
		} else {
			b.WriteString(p.Field)
		}
		b.WriteString(": ")
		b.WriteString(p.Message)
		switch {
		case p.Source == "":
		case strings.HasPrefix(p.Source, "flag "), p.Source == "command line":
			b.WriteString(" (from the command line)")
		default:
			fmt.Fprintf(&b, " (from %s)", p.Source)
		}
		return b.String()
	}
	if p.Source != "" {
		b.WriteString(p.Source)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error returned by [Load] and [Config.Validate]: every
// problem found, in the order found. Use errors.As to get at the list.
type Problems []Problem

// Error gives one clear message: the single problem, or a count followed by
// one indented line per problem.
func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no configuration problems"
	case 1:
		return ps[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d configuration problems:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
