package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/har"
	"github.com/spf13/pflag"
)

const harUsage = `Usage: herd har [OPTIONS] recording.har > main.go

Writes a herd test program that replays a browser recording (a HAR file
exported from Chromium's or Firefox's developer tools; "-" reads stdin):
one task per page, in the recorded order, with the recorded pauses.
Static assets and other hosts than the first page's are left out unless
the options keep them; cookies are left to the session; values that look
dynamic are marked with a comment where they are used.

Options:
`

// harCommand is `herd har`: a HAR file in, a Go program out.
func harCommand(env herd.Env, args []string) int {
	fs := pflag.NewFlagSet("har", pflag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, harUsage)
		fs.PrintDefaults()
	}
	var o har.Options
	fs.BoolVar(&o.KeepStatic, "keep-static", false, "keep static assets (images, stylesheets, scripts, fonts, media)")
	fs.StringArrayVar(&o.KeepHosts, "keep-host", nil, "keep the requests to this host too (repeatable)")
	fs.BoolVar(&o.AllHosts, "all-hosts", false, "keep the requests to every host")
	output := fs.StringP("output", "o", "", "write the program to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return herd.ExitOK
		}
		fmt.Fprintf(env.Stderr, "herd har: %v\n", err)
		return herd.ExitConfig
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return herd.ExitConfig
	}
	src, err := convert(fs.Arg(0), env, o)
	if err == nil {
		err = write(*output, env.Stdout, src)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "herd har: %v\n", err)
		return herd.ExitConfig
	}
	return herd.ExitOK
}

// convert reads a HAR file ("-": stdin) and generates its program.
func convert(path string, env herd.Env, o har.Options) ([]byte, error) {
	var r io.Reader = env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
		o.Source = filepath.Base(path)
	} else if r == nil {
		return nil, errors.New("no standard input")
	}
	h, err := har.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return har.Generate(h, o)
}

// write writes the program to path, or to stdout when path is "".
func write(path string, stdout io.Writer, src []byte) error {
	if path == "" {
		_, err := stdout.Write(src)
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
