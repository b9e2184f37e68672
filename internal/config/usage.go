package config

import (
	"io"
	"slices"
	"strings"
)

const (
	usageWidth  = 80 // wrap help text at this many columns
	usageIndent = 30 // help text starts in this column
)

// Usage writes the --help text for program name prog to w, grouped like
// Locust's help (common options, web UI, tags, statistics, logging, other,
// user classes), with the test program's own options, if any, under "Test
// options". Write errors are ignored; so are bad declarations, which Load
// reports.
func Usage(w io.Writer, prog string, custom ...Custom) {
	UsageFor(w, prog, Input{Custom: custom})
}

// UsageFor is Usage for a test program with its own defaults
// (in.Defaults), which --help shows as the defaults, and its own options
// (in.Custom). Arguments are ignored.
func UsageFor(w io.Writer, prog string, in Input) {
	if prog == "" {
		prog = "herd"
	}
	extra, _ := customOptions(in.Custom)
	table := slices.Concat(options, extra)
	if defaults, err := parseArgs(in.Defaults, table); err == nil {
		for i := range table {
			if vals, ok := defaults.values(&table[i]); ok {
				table[i].def = strings.Join(vals, ",")
			}
		}
	}
	options, extra := table[:len(options)], table[len(options):]
	var b strings.Builder
	b.WriteString("Usage: " + prog + " [OPTIONS] [UserClass ...]\n")
	for _, g := range groups {
		if g == groupUsers && len(extra) > 0 {
			b.WriteString("\n" + groupTest + ":\n")
			for i := range extra {
				writeEntry(&b, optionSynopsis(&extra[i]), helpText(&extra[i]))
			}
		}
		b.WriteString("\n" + g + ":\n")
		if g == groupCommon {
			writeEntry(&b, "  -h, --help", "show this help message and exit")
			writeEntry(&b, "  -V, --version", "show the program's version (module, commit, herd and Go versions) and exit")
		}
		for i := range options {
			o := &options[i]
			if o.group != g {
				continue
			}
			writeEntry(&b, optionSynopsis(o), helpText(o))
		}
	}
	b.WriteString("\n")
	writeParagraph(&b, "Every option can also be set in the environment as HERD_ followed by the "+
		"long option name in upper case with dashes as underscores (HERD_USERS=10, "+
		"HERD_SPAWN_RATE=2, HERD_TAGS=a,b, HERD_USER_CLASSES=WebUser), or in the --config "+
		"file (or HERD_CONFIG) as key = value with the long option name as key "+
		"(spawn-rate = 2). Flags override the environment, which overrides the config file.")
	b.WriteString("\n")
	writeParagraph(&b, "Durations are Go durations (90s, 2m30s, 1h30m) or a number of seconds (300). "+
		"Booleans accept true/false, yes/no, on/off and 1/0.")
	b.WriteString("\n")
	writeParagraph(&b, "Exit codes: 0 success; 1 (or --exit-code-on-error) when any request failed "+
		"or user code returned an error or panicked; 2 invalid options, config file or test definition; "+
		"3 the run could not start or a report could not be written; 4 a --threshold failed "+
		"(it wins over 1); 130 a second interrupt.")
	_, _ = io.WriteString(w, b.String())
}

// helpText is o's help with its default.
func helpText(o *option) string {
	switch {
	case o.def != "":
		return o.help + " (default " + o.def + ")"
	case o.noDefault != "":
		return o.help + " " + o.noDefault
	}
	return o.help
}

// optionSynopsis is the left column for o: "  -u, --users int".
func optionSynopsis(o *option) string {
	if o.positional {
		return "  UserClass"
	}
	s := "      --" + o.name
	if o.short != "" {
		s = "  -" + o.short + ", --" + o.name
	}
	if o.isBool() {
		return s
	}
	meta := o.metavar
	if meta == "" {
		meta = o.typeName()
	}
	return s + " " + meta
}

// writeEntry writes a left column and its wrapped help text.
func writeEntry(b *strings.Builder, left, help string) {
	lines := wrap(help, usageWidth-usageIndent)
	pad := strings.Repeat(" ", usageIndent)
	if len(left) > usageIndent-2 {
		b.WriteString(left + "\n")
	} else {
		b.WriteString(left + strings.Repeat(" ", usageIndent-len(left)))
		b.WriteString(lines[0] + "\n")
		lines = lines[1:]
	}
	for _, l := range lines {
		b.WriteString(pad + l + "\n")
	}
}

// writeParagraph writes text wrapped at usageWidth.
func writeParagraph(b *strings.Builder, text string) {
	for _, l := range wrap(text, usageWidth) {
		b.WriteString(l + "\n")
	}
}

// wrap breaks text into lines of at most width columns at spaces; it always
// returns at least one line.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
