package herd_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// On a master, the master runs the load shape (its workers follow) and
// evaluates the thresholds on the merged statistics: it runs no user, so
// every request its thresholds see came from its workers.
func TestShapeAndThresholdsOnAMaster(t *testing.T) {
	t.Parallel()
	srv := &countingServer{counts: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Hammer", Wait: herd.Constant(20 * time.Millisecond), New: func() herd.User { return new(hammer) },
	}}}
	// -s: the requests in flight at the end finish (killed, they would be
	// failures "interrupted at stop", and the master would exit 1).
	stdout, stderr := runCluster(t, test, 2, "--shape", "stages:1s:4,3s:4", "-s", "5s", "-H", ts.URL, "--json", "--only-summary",
		"--threshold", "requests>0", "--threshold", "fail_ratio<50%")
	var rep struct {
		jsonReport
		Users      int `json:"user_count"`
		Thresholds []struct {
			Expr, Status string
		} `json:"thresholds"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	if rep.Users != 4 {
		t.Errorf("%d users at the end, want the shape's 4", rep.Users)
	}
	// No run time is given: only the shape can have ended the run.
	if !strings.Contains(stderr, `reason="load shape finished"`) {
		t.Errorf("the shape did not end the run:\n%s", stderr)
	}
	if len(rep.Thresholds) != 2 || rep.Thresholds[0].Status != "pass" || rep.Thresholds[1].Status != "pass" {
		t.Errorf("thresholds %+v, want two passes", rep.Thresholds)
	}
}

type marker struct{ name string }

func (m marker) Tasks() []herd.Task {
	return []herd.Task{{Name: m.name, Run: func(ctx context.Context) error {
		return herd.Time(ctx, "mark", m.name, func(context.Context) (int64, error) { return 1, nil })
	}}}
}

// A master runs only the user classes named on its command line (or picked
// in the web UI): its workers get counts for those classes alone.
func TestMasterRunsOnlyPickedClasses(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{
		{Name: "Reader", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User { return marker{"read"} }},
		{Name: "Writer", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User { return marker{"write"} }},
	}}
	stdout, _ := runCluster(t, test, 2, "-u", "4", "-r", "100", "-t", "2s", "--json", "--only-summary", "Writer")
	var rep jsonReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	if len(rep.Stats) != 1 || rep.Stats[0].Name != "write" || rep.Stats[0].Requests == 0 {
		t.Errorf("entries %+v, want only the Writer's", rep.Stats)
	}
}

// The web UI's class picker on a master: the workers run only the picked
// class (before, a master dispatched every class it knew).
func TestMasterClassPickerFromTheWebUI(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{
		{Name: "Reader", Wait: herd.Constant(20 * time.Millisecond), New: func() herd.User { return marker{"read"} }},
		{Name: "Writer", Wait: herd.Constant(20 * time.Millisecond), New: func() herd.User { return marker{"write"} }},
	}}
	base, stop, stderr := startUI(t, test, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--class-picker")
	m := masterPort.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no master port in the log:\n%s", stderr)
	}
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			done <- mainRun(test, ctx, herd.Env{Stderr: new(syncBuffer), Args: []string{"--worker", "--master-host", "127.0.0.1", "--master-port", m[1]}})
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	var state struct {
		Workers []any `json:"workers"`
	}
	poll(t, "two workers", func() bool { getJSON(t, base+"api/state", &state); return len(state.Workers) == 2 })
	resp, err := http.PostForm(base+"swarm", url.Values{"user_count": {"4"}, "spawn_rate": {"100"}, "user_classes": {"Writer"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("swarm: %s", resp.Status)
	}
	var rows struct {
		Stats []struct {
			Name        string `json:"name"`
			NumRequests int    `json:"num_requests"`
		} `json:"stats"`
	}
	poll(t, "Writer requests", func() bool {
		getJSON(t, base+"stats/requests", &rows)
		for _, r := range rows.Stats {
			if r.Name == "write" && r.NumRequests >= 20 {
				return true
			}
		}
		return false
	})
	for _, r := range rows.Stats {
		if r.Name == "read" {
			t.Errorf("the unpicked Reader ran: %+v", rows.Stats)
		}
	}
	stop()
}

// A worker needs a host only for the HTTP types it runs: an unpicked HTTP
// type without one does not stop the picked ones.
func TestWorkerNeedsHostsOnlyForTypesItRuns(t *testing.T) {
	t.Parallel()
	test := &herd.Test{Users: []*herd.UserType{
		{Name: "Marker", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User { return marker{"mark"} }},
		{Name: "Web", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User { return new(hammer) }},
	}}
	stdout, _ := runCluster(t, test, 1, "-u", "2", "-r", "100", "-t", "2s", "--json", "--only-summary", "Marker")
	var rep jsonReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	if len(rep.Stats) != 1 || rep.Stats[0].Name != "mark" || rep.Stats[0].Requests == 0 {
		t.Errorf("entries %+v, want the Marker's requests", rep.Stats)
	}
}
