package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// echoTarget is postman-echo's /post (which echoes the body as "data")
// and /get, on loopback; it counts the requests by kind.
func echoTarget(t *testing.T) (string, func() map[string]int) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		kind, _, _ := strings.Cut(r.URL.Query().Encode()+string(body), "_")
		mu.Lock()
		seen[r.Method+" "+r.URL.Path+" "+kind]++
		mu.Unlock()
		if r.URL.Path == "/post" {
			json.NewEncoder(w).Encode(map[string]string{"data": string(body)})
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// The steps print in Locust's order (Locust 2.12.1 headless, -u 2: 1, 2,
// 3, then per user 4 and 5, 6, per user 7, 8, 9, 10), and each kind of
// test data is fetched where Locust fetches it.
func TestStepsInLocustsOrder(t *testing.T) {
	t.Parallel()
	host, seen := echoTarget(t)
	var out porttest.Buffer
	test := newTest(&out)
	res, err := test.Execute(context.Background(), herd.Env{Args: []string{"--headless", "-u", "2", "-r", "2", "-t", "2s", "-H", host}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Execute = %+v, %v", res, err)
	}
	var steps []string
	for line := range strings.Lines(out.String()) {
		n, _, _ := strings.Cut(line, ".")
		steps = append(steps, n)
	}
	// The users' 4 and 5 interleave; each user's 4 comes before its 5.
	head, users, tail := steps[:3], steps[3:7], steps[7:]
	if !slices.Equal(head, []string{"1", "2", "3"}) || !slices.Equal(tail, []string{"6", "7", "7", "8", "9"}) {
		t.Errorf("steps %v", steps)
	}
	slices.Sort(users)
	if !slices.Equal(users, []string{"4", "4", "5", "5"}) || steps[3] != "4" {
		t.Errorf("the users' steps %v", steps[3:7])
	}
	want := map[string]int{
		"POST /post global":            1, // init, not recorded
		"POST /post test-run-specific": 1, // test start, not recorded
		"POST /post user-specific":     2, // each user's start
		"GET /get global":              2, // each task, with each kind of data
		"GET /get test-run-specific":   2,
		"GET /get user-specific":       2,
		"POST /post task":              2,
		"GET /get task":                2,
	}
	if got := seen(); !maps.Equal(got, want) {
		t.Errorf("the target got %v,\nwant %v", got, want)
	}
	// Locust's statistics names: the URLs, query included (so a name per
	// datum).
	var names []string
	for _, e := range res.Stats.Entries {
		names = append(names, e.Method+" "+strings.SplitN(e.Name, "_", 2)[0])
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if want := []string{"GET /get?global", "GET /get?task", "GET /get?test-run-specific",
		"GET /get?user-specific", "POST /post"}; !slices.Equal(names, want) {
		t.Errorf("names %v,\nwant %v", names, want)
	}
}
