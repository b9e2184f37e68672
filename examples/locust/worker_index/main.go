// Command worker_index is Locust's worker_index.py in herd: each worker
// reads its own part of pre-partitioned test data (mythings_0.csv,
// mythings_1.csv, …) chosen by its worker index; a process on its own
// reads mythings_0.csv. Its users print one row each time:
//
//	go run ./examples/locust/worker_index --processes 2 --headless -u 4 -t 10s
//
// (Locust's example reads with locust-plugins' CSVDictReader; encoding/csv
// does it here.)
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdload/herd"
)

// rows hands out a CSV file's rows as maps keyed by its header, from the
// first again after the last, to users of one process.
type rows struct {
	mu     sync.Mutex
	header []string
	all    [][]string
	next   int
}

func readRows(path string) (*rows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(all) < 2 {
		return nil, fmt.Errorf("%s: no row under the header", path)
	}
	return &rows{header: all[0], all: all[1:]}, nil
}

func (r *rows) take() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	row := r.all[r.next]
	r.next = (r.next + 1) % len(r.all)
	m := make(map[string]string, len(r.header))
	for i, k := range r.header {
		if i < len(row) {
			m[k] = row[i]
		}
	}
	return m
}

// DemoUser prints the next thing of its process's rows.
type DemoUser struct {
	data *atomic.Pointer[rows] // set in OnInit
	out  io.Writer
}

func (u DemoUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "t", Run: func(ctx context.Context) error {
		r := u.data.Load()
		if r == nil {
			return errors.New("no test data")
		}
		fmt.Fprintln(u.out, r.take())
		return nil
	}}}
}

// newTest is the test reading dir's mythings_<index>.csv, printing to
// out, its users waiting wait between rows (none in Locust's example).
func newTest(dir string, out io.Writer, wait time.Duration) *herd.Test {
	data := new(atomic.Pointer[rows])
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "DemoUser",
		New:  func() herd.User { return DemoUser{data: data, out: out} },
		Wait: herd.Constant(wait),
	}}}
	test.Events.OnInit(func(ctx context.Context, _ *herd.RunInfo) error {
		node := herd.NodeFrom(ctx)
		if node.Role() == herd.Master {
			return nil // a master runs no user
		}
		// A worker knows its index in OnInit; on its own a process is
		// worker 0, as Locust's local runner.
		index := max(node.WorkerIndex(), 0)
		r, err := readRows(filepath.Join(dir, fmt.Sprintf("mythings_%d.csv", index)))
		if err != nil {
			return err
		}
		data.Store(r)
		return nil
	})
	return test
}

func main() { herd.Main(newTest(".", os.Stdout, 0)) }
