package main

// The whole comparison in one run (go run ./bench -all): the closed-loop
// table, the fixed-rate table and the memory table, one after another,
// each with its own flags (-duration, -runs, -rate, -memory-*), every tool
// that is installed in each.

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

var all = flag.Bool("all", false, "run the closed-loop, fixed-rate (-rate, default 2000/s) and memory benchmarks one after another")

// runAll is the -all mode. With -out, the three tables go to that file in
// turn.
func runAll(dir string) error {
	if *rate == 0 {
		*rate = 2000
	}
	final := *out
	sections := []struct {
		title string
		run   func(string) error
	}{
		{"closed loop", runClosed},
		{fmt.Sprintf("fixed rate, %g/s", *rate), runRate},
		{"memory per idle user", runMemory},
	}
	var tables []byte
	var errs []error
	for i, s := range sections {
		note("all: %s", s.title)
		*out = filepath.Join(dir, fmt.Sprintf("all-%d.md", i))
		if err := s.run(dir); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.title, err))
			continue
		}
		if b, err := os.ReadFile(*out); err == nil {
			tables = append(tables, fmt.Sprintf("\n### %s\n\n", s.title)...)
			tables = append(tables, b...)
		}
	}
	if final != "" {
		if err := os.WriteFile(final, tables, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
