package herd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/herdload/herd"
)

var masterPort = regexp.MustCompile(`master listening for workers" port=(\d+)`)

// TestMasterAndWorkersInProcess runs a headless master and two workers, all
// herd, in this process against a counting server: the master's report
// must count exactly what the server saw, with the exact percentiles of
// every sample the workers took.
func TestMasterAndWorkersInProcess(t *testing.T) {
	t.Parallel()
	srv := &countingServer{counts: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var mu sync.Mutex
	samples := map[string][]time.Duration{}
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Hammer", Wait: herd.Constant(5 * time.Millisecond), New: func() herd.User { return new(hammer) },
	}}}
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		samples[r.Kind+" "+r.Name] = append(samples[r.Kind+" "+r.Name], r.Duration)
		mu.Unlock()
	})

	stdout, _ := runCluster(t, test, 2, "-u", "6", "-r", "100", "-t", "3s", "-s", "10s", "-H", ts.URL, "--json", "--only-summary")
	var rep jsonReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if len(rep.Stats) != 4 {
		t.Fatalf("%d entries: %+v", len(rep.Stats), rep.Stats)
	}
	for _, e := range rep.Stats {
		key := e.Method + " " + e.Name
		if want := srv.counts[key]; e.Requests != uint64(want) || want == 0 {
			t.Errorf("%s: the master counted %d, the server %d", key, e.Requests, want)
		}
		exact := slices.Clone(samples[key])
		slices.Sort(exact)
		for label, got := range e.Percentiles {
			q, _ := strconv.ParseFloat(label, 64)
			want := exactPercentile(exact, q/100)
			if math.Abs(got-want) > 0.01*want+0.002 {
				t.Errorf("%s p%s = %.3f ms, exact %.3f ms", key, label, got, want)
			}
		}
	}
}

// TestCustomMessages sends messages both ways and custom report data from
// workers to the master, all herd, in this process.
func TestCustomMessages(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{{Name: "Greeter", Wait: herd.Constant(50 * time.Millisecond),
		New: func() herd.User {
			sent := false
			return herd.TaskList(func() []herd.Task {
				return []herd.Task{{Run: func(ctx context.Context) error {
					n := herd.NodeFrom(ctx)
					if !sent && n.Role() == herd.Worker {
						sent = true
						return n.SendToMaster("hello", map[string]any{"index": n.WorkerIndex()})
					}
					return nil
				}}}
			})
		}}}}
	var mu sync.Mutex
	hellos := map[string]any{}
	replies := 0
	reports := 0
	test.Events.OnMessage("hello", func(ctx context.Context, m herd.Message) {
		mu.Lock()
		hellos[m.From] = m.Data
		mu.Unlock()
		if err := herd.NodeFrom(ctx).SendToWorkers("reply", "hi "+m.From, m.From); err != nil {
			t.Errorf("reply: %v", err)
		}
	})
	test.Events.OnMessage("reply", func(ctx context.Context, m herd.Message) {
		mu.Lock()
		replies++
		mu.Unlock()
	})
	test.Events.OnReportToMaster(func(ctx context.Context, data map[string]any) { data["answer"] = 42 })
	test.Events.OnWorkerReport(func(ctx context.Context, worker string, data map[string]any) {
		if fmt.Sprint(data["answer"]) == "42" {
			mu.Lock()
			reports++
			mu.Unlock()
		}
	})

	runCluster(t, test, 2, "-u", "4", "-r", "100", "-t", "4s", "--only-summary")
	mu.Lock()
	defer mu.Unlock()
	if len(hellos) != 2 {
		t.Errorf("the master heard from %d workers, want 2: %v", len(hellos), hellos)
	}
	indexes := map[string]bool{}
	for _, d := range hellos {
		indexes[fmt.Sprint(d.(map[string]any)["index"])] = true
	}
	if !indexes["0"] || !indexes["1"] {
		t.Errorf("worker indexes %v, want 0 and 1", hellos)
	}
	if replies < 2 {
		t.Errorf("%d replies reached the workers, want 2 or more", replies)
	}
	if reports == 0 {
		t.Error("no custom report data reached the master")
	}
}

// runCluster runs test as a headless master (with args) and n workers, all
// in this process, until the master ends; it returns the master's stdout
// and stderr.
func runCluster(t *testing.T, test *herd.Test, n int, args ...string) (stdout, stderr string) {
	t.Helper()
	masterErr := new(syncBuffer)
	var masterOut syncBuffer
	masterDone := make(chan int, 1)
	go func() {
		masterDone <- mainRun(test, context.Background(), herd.Env{Stdout: &masterOut, Stderr: masterErr, Args: append([]string{
			"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0",
			"--expect-workers", strconv.Itoa(n), "--headless"}, args...)})
	}()
	var port string
	poll(t, "the master's port", func() bool {
		m := masterPort.FindStringSubmatch(masterErr.String())
		if m != nil {
			port = m[1]
		}
		return m != nil
	})
	workerDone := make(chan int, n)
	for range n {
		go func() {
			workerDone <- mainRun(test, context.Background(), herd.Env{Stderr: new(syncBuffer), Args: []string{
				"--worker", "--master-host", "127.0.0.1", "--master-port", port}})
		}()
	}
	select {
	case code := <-masterDone:
		if code != 0 {
			t.Fatalf("master exit code %d\n%s", code, masterErr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the master did not finish:\n%s", masterErr.String())
	}
	for range n {
		select {
		case code := <-workerDone:
			if code != 0 {
				t.Errorf("worker exit code %d", code)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a worker did not quit with its master")
		}
	}
	return masterOut.String(), masterErr.String()
}

// TestWorkerEvents: a worker's OnInit already knows its index (Locust sets
// it before init), OnSpawningComplete fires on every worker for its share
// and on the master when all workers reported theirs.
func TestWorkerEvents(t *testing.T) {
	t.Parallel()
	srv := &countingServer{counts: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Hammer", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User { return new(hammer) },
	}}}
	var mu sync.Mutex
	var initIndexes []int
	spawned := map[herd.Role][]int{}
	test.Events.OnInit(func(ctx context.Context, _ *herd.RunInfo) error {
		if n := herd.NodeFrom(ctx); n.Role() == herd.Worker {
			mu.Lock()
			initIndexes = append(initIndexes, n.WorkerIndex())
			mu.Unlock()
		}
		return nil
	})
	// OnSpawningComplete has no context: the role shows in which process
	// runs it, told apart here by the user count (the master's is the total).
	test.Events.OnSpawningComplete(func(users int) {
		mu.Lock()
		role := herd.Worker
		if users == 6 {
			role = herd.Master
		}
		spawned[role] = append(spawned[role], users)
		mu.Unlock()
	})
	runCluster(t, test, 2, "-u", "6", "-r", "100", "-t", "2s", "-H", ts.URL, "--only-summary")
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(initIndexes)
	if !slices.Equal(initIndexes, []int{0, 1}) {
		t.Errorf("worker indexes in OnInit: %v, want [0 1]", initIndexes)
	}
	if got := spawned[herd.Worker]; len(got) != 2 || got[0]+got[1] != 6 {
		t.Errorf("workers' OnSpawningComplete: %v, want two shares of 6", got)
	}
	if got := spawned[herd.Master]; !slices.Equal(got, []int{6}) {
		t.Errorf("master's OnSpawningComplete: %v, want [6]", got)
	}
}
