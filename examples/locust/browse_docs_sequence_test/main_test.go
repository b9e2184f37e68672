package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	if got, want := porttest.TaskRatio(t, newTest()), porttest.LocustTaskRatio(t, "browse_docs_sequence_test.py", "pyquery"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

// TestRun checks the order: one user asks for the index and the icon, a
// page of the table of contents, a page it links to, again and again.
func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(10 * time.Millisecond)
	var mu sync.Mutex
	var seq []string
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		seq = append(seq, r.Name)
		mu.Unlock()
	})
	res := porttest.Run(t, test, "-u", "1", "-t", "1s", "-s", "30s", "-H", target.URL+"/en/latest/")
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seq) < 8 {
		t.Fatalf("only %d requests: %v", len(seq), seq)
	}
	for i, name := range seq {
		var ok bool
		switch i % 4 {
		case 0:
			ok = name == "/en/latest/"
		case 1:
			ok = name == "/en/latest/favicon.ico" // the host's path comes first
		default:
			ok = strings.HasPrefix(name, "/en/latest/") && strings.HasSuffix(name, ".html")
		}
		if !ok {
			t.Fatalf("request %d is %s, out of the sequence: %v", i, name, seq)
		}
	}
}
