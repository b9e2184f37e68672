package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// liveUpdate is one decoded /api/events update.
type liveUpdate struct {
	Full    bool   `json:"full"`
	Seq     uint64 `json:"seq"`
	Client  string `json:"client"`
	Rows    int    `json:"rows"`
	Pending int    `json:"pending"`
	Stats   struct {
		Stats []struct {
			Method   string `json:"method"`
			Name     string `json:"name"`
			Requests uint64 `json:"num_requests"`
		} `json:"stats"`
		Total struct {
			Requests uint64 `json:"num_requests"`
		} `json:"total"`
		Failures *[]json.RawMessage `json:"failures"`
		Errors   *[]json.RawMessage `json:"errors"`
	} `json:"stats"`
	size int // bytes of the event
}

func (u *liveUpdate) names() []string {
	var out []string
	for _, e := range u.Stats.Stats {
		out = append(out, e.Method+" "+e.Name)
	}
	return out
}

// nextLive reads the next update event of a stream.
func nextLive(t *testing.T, br *bufio.Reader) liveUpdate {
	t.Helper()
	for {
		b, err := readBlock(br)
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		if b.event != "update" {
			continue
		}
		var u liveUpdate
		if err := json.Unmarshal([]byte(b.data), &u); err != nil {
			t.Fatalf("update data is not JSON: %v\n%.300s", err, b.data)
		}
		u.size = len(b.data)
		return u
	}
}

// rowsSnapshot is a snapshot of n endpoints, /r/00000 … in the table's
// order, each with requests+i requests.
func rowsSnapshot(n int, requests uint64) *stats.Snapshot {
	s := &stats.Snapshot{Time: t0.Add(time.Minute), Start: t0, Duration: time.Minute,
		Total: stats.Entry{Name: stats.TotalName, Percentiles: ps(1)}}
	for i := range n {
		e := stats.Entry{Method: "GET", Name: fmt.Sprintf("/r/%05d", i), Requests: requests + uint64(i),
			Min: time.Millisecond, Max: 3 * time.Millisecond, Mean: 2 * time.Millisecond, Median: 2 * time.Millisecond,
			Percentiles: ps(2, 2, 2, 2, 3), TotalSize: 512 * (requests + uint64(i)), CurrentRPS: float64(i % 7)}
		s.Entries = append(s.Entries, e)
		s.Total.Requests += e.Requests
	}
	return s
}

// tickedServer serves f with a hub ticked by hand: send on the channel to
// take a tick.
func tickedServer(t *testing.T, f *fakeController) (*Server, string, chan<- time.Time) {
	t.Helper()
	s := New(Options{Assets: testAssets(), PushEvery: time.Hour}, f)
	ticks := make(chan time.Time)
	s.hub.ticks = ticks
	ts := httpTestServer(t, s)
	return s, ts.URL, ticks
}

func (f *fakeController) setSnap(snap *stats.Snapshot) {
	f.mu.Lock()
	f.snap = snap
	f.mu.Unlock()
}

// The first update of a stream holds the whole table; later ones the rows
// that changed, the lists when they changed, and the whole table again
// when rows are gone (a reset, a new test).
func TestEventsDiff(t *testing.T) {
	t.Parallel()
	f := newFake()
	snap := rowsSnapshot(5, 100)
	snap.Failures = []stats.Failure{{Method: "GET", Name: "/r/00001", Error: "HTTP 500", Occurrences: 1}}
	f.setSnap(snap)
	_, url, ticks := tickedServer(t, f)
	_, br, _ := openEvents(t, url)

	first := nextLive(t, br)
	if !first.Full || first.Rows != 5 || len(first.Stats.Stats) != 5 || first.Stats.Failures == nil || first.Client == "" {
		t.Fatalf("first update: full %v, rows %d, %d sent, failures %v, client %q", first.Full, first.Rows, len(first.Stats.Stats), first.Stats.Failures, first.Client)
	}

	// Nothing changed: no row, no list, the total as ever.
	ticks <- time.Now()
	u := nextLive(t, br)
	if u.Full || len(u.Stats.Stats) != 0 || listLen(u.Stats.Failures) != 0 || listLen(u.Stats.Errors) != 0 || u.Stats.Total.Requests != snap.Total.Requests || u.Seq <= first.Seq {
		t.Errorf("unchanged: full %v, rows %v, failures %v, errors %v, total %d, seq %d", u.Full, u.names(), u.Stats.Failures, u.Stats.Errors, u.Stats.Total.Requests, u.Seq)
	}

	// One row and the failures change.
	snap = rowsSnapshot(5, 100)
	snap.Entries[2].Requests++
	snap.Failures = []stats.Failure{{Method: "GET", Name: "/r/00001", Error: "HTTP 500", Occurrences: 2}}
	f.setSnap(snap)
	ticks <- time.Now()
	u = nextLive(t, br)
	if got := u.names(); !slices.Equal(got, []string{"GET /r/00002"}) || listLen(u.Stats.Failures) != 1 {
		t.Errorf("one row changed: rows %v, failures %v", got, u.Stats.Failures)
	}

	// A current rate that decays is a change too; a new row comes along.
	snap = rowsSnapshot(6, 100)
	snap.Entries[2].Requests++
	snap.Entries[3].CurrentRPS = 0.5
	snap.Failures = []stats.Failure{{Method: "GET", Name: "/r/00001", Error: "HTTP 500", Occurrences: 2}}
	f.setSnap(snap)
	ticks <- time.Now()
	u = nextLive(t, br)
	if got := u.names(); !slices.Equal(got, []string{"GET /r/00003", "GET /r/00005"}) || u.Rows != 6 || listLen(u.Stats.Failures) != 0 {
		t.Errorf("a rate and a new row: rows %v of %d, failures %v", got, u.Rows, u.Stats.Failures)
	}

	// A stream that joins now gets the whole table.
	_, br2, _ := openEvents(t, url)
	if u2 := nextLive(t, br2); !u2.Full || len(u2.Stats.Stats) != 6 {
		t.Errorf("a new stream's first update: full %v with %d rows", u2.Full, len(u2.Stats.Stats))
	}

	// Same rows, but a failure kind is gone (a reset within the second):
	// the whole table again.
	snap = rowsSnapshot(6, 100)
	snap.Entries[2].Requests++
	snap.Entries[3].CurrentRPS = 0.5
	f.setSnap(snap)
	ticks <- time.Now()
	for _, r := range []*bufio.Reader{br, br2} {
		if u := nextLive(t, r); !u.Full || len(u.Stats.Stats) != 6 || listLen(u.Stats.Failures) != 0 {
			t.Errorf("a failure kind gone: full %v, %d rows, failures %v", u.Full, len(u.Stats.Stats), u.Stats.Failures)
		}
	}

	// A reset: rows are gone, so the whole (new) table goes to everyone.
	f.setSnap(rowsSnapshot(2, 1))
	ticks <- time.Now()
	for _, r := range []*bufio.Reader{br, br2} {
		if u := nextLive(t, r); !u.Full || len(u.Stats.Stats) != 2 || u.Rows != 2 {
			t.Errorf("after a reset: full %v, %d rows of %d", u.Full, len(u.Stats.Stats), u.Rows)
		}
	}
	ticks <- time.Now()
	if u := nextLive(t, br); u.Full || len(u.Stats.Stats) != 0 {
		t.Errorf("after the reset's update: full %v, rows %v", u.Full, u.names())
	}
}

// When more rows change than an update carries, the rows the client shows
// come first, the others by age, and every row is brought up to date
// within a few updates.
func TestEventsBudget(t *testing.T) {
	t.Parallel()
	const n = 1200
	f := newFake()
	f.setSnap(rowsSnapshot(n, 0))
	_, url, ticks := tickedServer(t, f)
	_, br, _ := openEvents(t, url)
	first := nextLive(t, br)
	if !first.Full || len(first.Stats.Stats) != n {
		t.Fatalf("first update: %d rows", len(first.Stats.Stats))
	}
	view := []string{"GET /r/01199", "GET /r/00600", "GET /nope"}
	body := `{"client":"` + first.Client + `","rows":[["GET","/r/01199"],["GET","/r/00600"],["GET","/nope"]]}`
	resp, text := postJSON(t, url+"/api/view", body)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/view: %d %s", resp.StatusCode, text)
	}

	seen := map[string]bool{}
	for tick := 1; tick <= 3; tick++ {
		f.setSnap(rowsSnapshot(n, uint64(tick))) // every row changes
		ticks <- time.Now()
		u := nextLive(t, br)
		got := u.names()
		if len(got) != maxUpdateRows || u.Pending != n-maxUpdateRows {
			t.Errorf("tick %d: %d rows, %d pending; want %d and %d", tick, len(got), u.Pending, maxUpdateRows, n-maxUpdateRows)
		}
		for _, v := range view[:2] {
			if !slices.Contains(got, v) {
				t.Errorf("tick %d: the row the client shows, %s, is not in the update", tick, v)
			}
		}
		for _, name := range got {
			seen[name] = true
		}
	}
	if len(seen) != n {
		t.Errorf("%d of %d rows brought up to date after 3 updates", len(seen), n)
	}
	// Once nothing changes the 700 rows not sent since follow (500, then
	// 200), then nothing.
	for _, want := range [][2]int{{500, 200}, {200, 0}, {0, 0}} {
		ticks <- time.Now()
		if u := nextLive(t, br); len(u.Stats.Stats) != want[0] || u.Pending != want[1] {
			t.Errorf("no change: %d rows, %d pending; want %d, %d", len(u.Stats.Stats), u.Pending, want[0], want[1])
		}
	}
}

// listLen is the length of a list that may be absent.
func listLen(l *[]json.RawMessage) int {
	if l == nil {
		return -1
	}
	return len(*l)
}

func postJSON(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return resp, b.String()
}

func TestViewRefusals(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"client":"0123456789abcdef","rows":[]}`, http.StatusNoContent}, // a stream that ended: ignored
		{`{"client":`, http.StatusBadRequest},
		{`{"client":"x","rows":"no"}`, http.StatusBadRequest},
	} {
		resp, text := postJSON(t, ts.URL+"/api/view", c.body)
		if resp.StatusCode != c.want {
			t.Errorf("POST /api/view %s: %d %s, want %d", c.body, resp.StatusCode, text, c.want)
		}
	}
}
