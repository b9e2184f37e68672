package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/herdload/herd"
)

// run runs the example bounded (users finish their task at the stop, so
// both sides count the same calls) and returns its statistics by row.
func run(t *testing.T, test *herd.Test, args ...string) map[string]herd.StatsEntry {
	t.Helper()
	test.Users[0].Wait = herd.Constant(0)
	var s *herd.StatsSnapshot
	test.Events.OnQuitting(func(q *herd.Quit) { s = q.Stats })
	var out bytes.Buffer
	args = append([]string{"--headless", "-u", "5", "-r", "100", "-t", "1s", "--stop-timeout", "30s", "--only-summary"}, args...)
	if code, err := test.Run(context.Background(), herd.Env{Args: args, Stdout: &out, Stderr: &out}); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	rows := map[string]herd.StatsEntry{}
	for _, e := range s.Entries {
		rows[e.Method+" "+e.Name] = e
	}
	if s.Total.Failures != 0 || len(s.Errors) != 0 {
		t.Errorf("failures %+v, errors %+v", s.Failures, s.Errors)
	}
	return rows
}

// check compares herd's rows with what the greeter served.
func check(t *testing.T, rows map[string]herd.StatsEntry, g *greeter) {
	t.Helper()
	for _, c := range []struct {
		row  string
		want int64
	}{
		{"grpc /herd.examples.hello.Greeter/SayHello", g.hellos.Load()},
		{"grpc /herd.examples.hello.Greeter/Greetings", g.streams.Load()},
	} {
		if got := rows[c.row].Requests; got == 0 || int64(got) != c.want {
			t.Errorf("%s: herd counted %d, the greeter %d", c.row, got, c.want)
		}
	}
	if len(rows) != 2 {
		t.Errorf("rows: %v", rows)
	}
	if g.streamed.Load() != 5*g.streams.Load() {
		t.Errorf("%d greetings streamed in %d streams", g.streamed.Load(), g.streams.Load())
	}
}

// Without -H the example starts its own greeter and tests it.
func TestOwnServer(t *testing.T) {
	t.Parallel()
	test, l := newTest(0)
	rows := run(t, test)
	if l.address() == "" {
		t.Fatal("no greeter was started")
	}
	check(t, rows, &l.g)
}

// With -H it tests that server and starts none.
func TestHost(t *testing.T) {
	t.Parallel()
	var g greeter
	addr, stop, err := serve("127.0.0.1:0", &g)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	test, l := newTest(0)
	rows := run(t, test, "-H", "grpc://"+addr)
	if l.address() != "" {
		t.Error("a greeter was started although -H was given")
	}
	check(t, rows, &g)
}
