package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// things writes mythings_0.csv and mythings_1.csv to a new directory.
func things(t *testing.T) string {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"mythings_0.csv": "id,name\n1,apple\n2,pear\n",
		"mythings_1.csv": "id,name\n3,plum\n4,fig\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fruits is the set of names a process printed.
func fruits(out string) map[string]bool {
	got := map[string]bool{}
	for _, m := range regexp.MustCompile(`name:(\w+)`).FindAllStringSubmatch(out, -1) {
		got[m[1]] = true
	}
	return got
}

var masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)

// Two workers under a master: each reads the file of its own index, and
// cycles through it.
func TestEachWorkerReadsItsOwnFile(t *testing.T) {
	t.Parallel()
	dir := things(t)
	var logs porttest.Buffer
	done := make(chan error, 1)
	go func() {
		res, err := newTest(dir, new(porttest.Buffer), 0).Execute(context.Background(), herd.Env{Stderr: &logs, Args: []string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--expect-workers", "2",
			"--headless", "-u", "4", "-r", "100", "-t", "2s"}})
		if err == nil && res.ExitCode != 0 {
			t.Errorf("master exit code %d", res.ExitCode)
		}
		done <- err
	}()
	var port string
	for deadline := time.Now().Add(30 * time.Second); port == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no master port:\n%s", logs.String())
		}
		if m := masterPort.FindStringSubmatch(logs.String()); m != nil {
			port = m[1]
		}
	}
	outs := []*porttest.Buffer{new(porttest.Buffer), new(porttest.Buffer)}
	var workers sync.WaitGroup
	for _, out := range outs {
		workers.Go(func() {
			res, err := newTest(dir, out, 100*time.Millisecond).Execute(context.Background(), herd.Env{Args: []string{
				"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
			if err != nil || res.ExitCode != 0 {
				t.Errorf("worker: %+v, %v", res, err)
			}
		})
	}
	workers.Wait()
	if err := <-done; err != nil {
		t.Fatalf("master: %v\n%s", err, logs.String())
	}
	a, b := fruits(outs[0].String()), fruits(outs[1].String())
	if a["apple"] {
		a, b = b, a
	}
	if len(a) != 2 || !a["plum"] || !a["fig"] || len(b) != 2 || !b["apple"] || !b["pear"] {
		t.Errorf("the workers printed %v and %v, want one file each, every row", a, b)
	}
}

// On its own, a process is worker 0.
func TestStandaloneReadsFileZero(t *testing.T) {
	t.Parallel()
	var out porttest.Buffer
	res, err := newTest(things(t), &out, 100*time.Millisecond).Execute(context.Background(),
		herd.Env{Args: []string{"--headless", "-u", "1", "-t", "1s"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	if got := fruits(out.String()); len(got) != 2 || !got["apple"] || !got["pear"] {
		t.Errorf("printed %v", got)
	}
}
