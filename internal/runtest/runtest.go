// Package runtest runs a headless herd test in-process and reads its final
// statistics, for the tests of herd's protocol packages (herdws,
// herdgrpc). Tests only.
package runtest

import (
	"bytes"
	"context"
	"testing"

	"github.com/herdload/herd"
)

// Run runs a headless test of types with args (bounded by -t 60s; the
// tests end it sooner, with ErrStopTest) and returns its final statistics.
func Run(t *testing.T, args []string, types ...*herd.UserType) *herd.StatsSnapshot {
	t.Helper()
	test := &herd.Test{Users: types}
	var snap *herd.StatsSnapshot
	test.Events.OnQuitting(func(q *herd.Quit) { snap = q.Stats })
	var out bytes.Buffer
	args = append([]string{"--headless", "-t", "60s", "--only-summary"}, args...)
	if _, err := test.Run(context.Background(), herd.Env{Args: args, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if snap == nil {
		t.Fatalf("no final statistics\n%s", out.String())
	}
	return snap
}

// Entry is s's row of kind and name; an empty one if there is none.
func Entry(s *herd.StatsSnapshot, kind, name string) herd.StatsEntry {
	for _, e := range s.Entries {
		if e.Method == kind && e.Name == name {
			return e
		}
	}
	return herd.StatsEntry{Method: kind, Name: name}
}

// Failures are s's failures of kind and name, occurrences by message.
func Failures(s *herd.StatsSnapshot, kind, name string) map[string]uint64 {
	m := map[string]uint64{}
	for _, f := range s.Failures {
		if f.Method == kind && f.Name == name {
			m[f.Error] += f.Occurrences
		}
	}
	return m
}
