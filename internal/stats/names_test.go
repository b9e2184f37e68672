package stats

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// entryOf finds the entry of (method, name) in snap, or nil.
func entryOf(snap *Snapshot, method, name string) *Entry {
	for i := range snap.Entries {
		if e := &snap.Entries[i]; e.Method == method && e.Name == name {
			return e
		}
	}
	return nil
}

func TestMaxNames(t *testing.T) {
	t.Parallel()
	warnings := 0
	s := New(t0, Options{Shards: 4, MaxNames: 3, OnOverflow: func() { warnings++ }})
	// Second 1: /a on shard 0, /b on shard 1, /c on shard 2; /d and /e
	// (one failing) are past the cap whatever the shard.
	s.Shard(0).Record("GET", "/a", time.Millisecond, 10, "")
	s.Shard(1).Record("GET", "/b", time.Millisecond, 10, "")
	s.Shard(2).Record("POST", "/c", time.Millisecond, 10, "")
	s.Shard(3).Record("GET", "/d", 2*time.Millisecond, 10, "HTTP 500")
	s.Shard(0).Record("PUT", "/e", 2*time.Millisecond, 10, "")
	s.Tick(t0.Add(time.Second), 1)
	// Second 2: a name admitted on another shard is still its own on this
	// one; new names keep going to the overflow row.
	s.Shard(3).Record("GET", "/a", time.Millisecond, 10, "HTTP 404")
	s.Shard(1).Record("GET", "/f", 2*time.Millisecond, 10, "")
	s.Tick(t0.Add(2*time.Second), 1)
	snap := s.Snapshot(t0.Add(2*time.Second), 1)

	if !snap.NamesOverflowed || snap.MaxNames != 3 {
		t.Errorf("NamesOverflowed %v, MaxNames %d; want true, 3", snap.NamesOverflowed, snap.MaxNames)
	}
	if len(snap.Entries) != 4 {
		t.Fatalf("%d entries, want 3 names and the overflow row: %+v", len(snap.Entries), snap.Entries)
	}
	if snap.Entries[0].Name != OverflowName || snap.Entries[0].Method != "" {
		t.Errorf("first entry %q %q, want the overflow row (it sorts first)", snap.Entries[0].Method, snap.Entries[0].Name)
	}
	for _, want := range []struct {
		method, name string
		requests     uint64
		failures     uint64
	}{
		{"GET", "/a", 2, 1}, {"GET", "/b", 1, 0}, {"POST", "/c", 1, 0}, {"", OverflowName, 3, 1},
	} {
		e := entryOf(snap, want.method, want.name)
		if e == nil || e.Requests != want.requests || e.Failures != want.failures {
			t.Errorf("%s %s: %+v, want %d requests, %d failures", want.method, want.name, e, want.requests, want.failures)
		}
	}
	if ov := entryOf(snap, "", OverflowName); ov != nil && ov.Max != 2*time.Millisecond {
		t.Errorf("overflow max %v, want the overflowed requests' 2ms", ov.Max)
	}
	if snap.Total.Requests != 7 || snap.Total.Failures != 2 {
		t.Errorf("total %d/%d, want 7 requests, 2 failures", snap.Total.Requests, snap.Total.Failures)
	}
	// The failure table follows the entries: /d's failure is the overflow row's.
	got := map[string]uint64{}
	for _, f := range snap.Failures {
		got[f.Method+" "+f.Name+" "+f.Error] += f.Occurrences
	}
	want := map[string]uint64{" " + OverflowName + " HTTP 500": 1, "GET /a HTTP 404": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	if warnings != 1 {
		t.Errorf("OnOverflow called %d times, want once", warnings)
	}
	// No shard table holds more than the admitted names and the overflow row.
	for i := range s.shards {
		for _, tb := range []*table{s.shards[i].hot, s.spares[i]} {
			for k := range tb.entries {
				if k.Name == "/d" || k.Name == "/e" || k.Name == "/f" {
					t.Errorf("shard %d keeps the overflowed name %v", i, k)
				}
			}
		}
	}

	// A Reset forgets the names (and the shards theirs): the cap starts
	// afresh, and so does the warning.
	s.Reset(t0.Add(3 * time.Second))
	for i := range s.shards {
		if n := len(s.shards[i].hot.entries) + len(s.spares[i].entries); n != 0 {
			t.Errorf("shard %d keeps %d entries after a reset", i, n)
		}
	}
	for _, name := range []string{"/x", "/y", "/z", "/w"} {
		s.Shard(0).Record("GET", name, time.Millisecond, 0, "")
	}
	s.Tick(t0.Add(4*time.Second), 1)
	snap = s.Snapshot(t0.Add(4*time.Second), 1)
	if len(snap.Entries) != 4 || entryOf(snap, "GET", "/x") == nil || entryOf(snap, "", OverflowName) == nil {
		t.Errorf("after a reset: %+v, want /x /y /z and the overflow row", snap.Entries)
	}
	if warnings != 2 {
		t.Errorf("OnOverflow called %d times in all, want once more after the reset", warnings)
	}
}

func TestMaxNamesUnlimited(t *testing.T) {
	t.Parallel()
	s := New(t0, Options{Shards: 2})
	for i := range 500 {
		s.Shard(i).Record("GET", fmt.Sprintf("/n/%d", i), time.Millisecond, 0, "")
	}
	s.Tick(t0.Add(time.Second), 1)
	snap := s.Snapshot(t0.Add(time.Second), 1)
	if len(snap.Entries) != 500 || snap.NamesOverflowed || snap.MaxNames != 0 {
		t.Errorf("%d entries, overflowed %v, max %d; want 500, false, 0", len(snap.Entries), snap.NamesOverflowed, snap.MaxNames)
	}
}

// A master caps the merged run: workers' names past its cap go to its
// overflow row, with their failures, and a worker's own overflow row adds
// to it.
func TestMaxNamesMerge(t *testing.T) {
	t.Parallel()
	worker := New(t0, Options{Shards: 1, MaxNames: 3})
	for _, name := range []string{"/a", "/b", "/c", "/d"} {
		fail := ""
		if name == "/c" {
			fail = "HTTP 503"
		}
		worker.Shard(0).Record("GET", name, time.Millisecond, 0, fail)
	}
	d := worker.TakeDelta(t0.Add(time.Second))
	if len(d.Entries) != 4 { // /a /b /c and the worker's overflow row (/d)
		t.Fatalf("worker delta has %d entries, want 4: %+v", len(d.Entries), d.Entries)
	}

	warned := 0
	master := New(t0, Options{MaxNames: 2, OnOverflow: func() { warned++ }})
	master.Merge(d, "w1")
	master.Tick(t0.Add(time.Second), 1)
	snap := master.Snapshot(t0.Add(time.Second), 1)
	if len(snap.Entries) != 3 {
		t.Fatalf("master has %d entries, want /a /b and the overflow row: %+v", len(snap.Entries), snap.Entries)
	}
	ov := entryOf(snap, "", OverflowName)
	if ov == nil || ov.Requests != 2 || ov.Failures != 1 {
		t.Errorf("overflow row %+v, want /c and /d: 2 requests, 1 failure", ov)
	}
	if len(snap.Failures) != 1 || snap.Failures[0].Name != OverflowName || snap.Failures[0].Error != "HTTP 503" {
		t.Errorf("failures %+v, want /c's under the overflow row", snap.Failures)
	}
	if !snap.NamesOverflowed || warned != 1 {
		t.Errorf("overflowed %v, warned %d times; want true, once", snap.NamesOverflowed, warned)
	}

	// A master without a cap of its own still shows a worker's overflow.
	open := New(t0, Options{})
	open.Merge(d, "w1")
	open.Tick(t0.Add(time.Second), 1)
	if snap := open.Snapshot(t0.Add(time.Second), 1); !snap.NamesOverflowed || len(snap.Entries) != 4 {
		t.Errorf("uncapped master: overflowed %v with %d entries, want true and 4", snap.NamesOverflowed, len(snap.Entries))
	}
}

// Many users meeting new names at once, while the drain runs: exactly
// MaxNames names are kept, and no request is lost.
func TestMaxNamesConcurrent(t *testing.T) {
	t.Parallel()
	const users, perUser, maxNames = 8, 3000, 1000
	s := New(t0, Options{Shards: 4, MaxNames: maxNames})
	done := make(chan struct{})
	var ticks sync.WaitGroup
	ticks.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-done:
				return
			default:
				s.Tick(t0.Add(time.Duration(i)*time.Millisecond), users)
			}
		}
	})
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			sh := s.Shard(u)
			for i := range perUser {
				// Half the requests go to 50 shared names, half to unique ones.
				name := fmt.Sprintf("/shared/%d", i%50)
				if i%2 == 1 {
					name = fmt.Sprintf("/u/%d/%d", u, i)
				}
				sh.Record("GET", name, time.Millisecond, 0, "")
			}
		})
	}
	wg.Wait()
	close(done)
	ticks.Wait()
	s.Tick(t0.Add(time.Hour), users)
	snap := s.Snapshot(t0.Add(time.Hour), users)
	if snap.Total.Requests != users*perUser {
		t.Errorf("total %d, want %d", snap.Total.Requests, users*perUser)
	}
	if len(snap.Entries) != maxNames+1 {
		t.Errorf("%d entries, want %d names and the overflow row", len(snap.Entries), maxNames)
	}
	var sum uint64
	for _, e := range snap.Entries {
		sum += e.Requests
	}
	if sum != snap.Total.Requests {
		t.Errorf("entries sum to %d, total %d", sum, snap.Total.Requests)
	}
	for i := range s.shards {
		for _, tb := range []*table{s.shards[i].hot, s.spares[i]} {
			if len(tb.entries) > maxNames+1 {
				t.Errorf("a table of shard %d holds %d entries", i, len(tb.entries))
			}
		}
	}
}

func TestErrorTextsClipped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 50_025) // 100,050 bytes
	s := New(t0, Options{Shards: 1})
	s.Shard(0).RecordError(long, long, long)
	s.Shard(0).RecordError("short", "task", "returned by task")
	s.Tick(t0.Add(time.Second), 1)
	d := &Delta{Start: t0, End: t0.Add(time.Second), Errors: []Error{{Message: "w" + long, Trace: long, Count: 2}}}
	s.Merge(d, "worker-1")
	snap := s.Snapshot(t0.Add(time.Second), 1)
	if len(snap.Errors) != 3 {
		t.Fatalf("%d errors, want 3", len(snap.Errors))
	}
	for _, e := range snap.Errors {
		if e.Message == "short" {
			if e.Trace != "returned by task" {
				t.Errorf("a short error changed: %+v", e)
			}
			continue
		}
		if len(e.Message) > MaxErrorMessage+len("…") || !strings.HasSuffix(e.Message, "é…") {
			t.Errorf("message of %d bytes (ends %q), want ≤ %d, cut on a rune with an ellipsis", len(e.Message), e.Message[len(e.Message)-8:], MaxErrorMessage)
		}
		if len(e.Trace) > MaxErrorTrace+len("…") || !strings.HasSuffix(e.Trace, "…") {
			t.Errorf("trace of %d bytes, want ≤ %d", len(e.Trace), MaxErrorTrace)
		}
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aé", 2, "a…"}, // é is two bytes: not split
		{"日本語", 4, "日…"},
	} {
		if got := clip(c.in, c.max); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

// BenchmarkRecordOverflow records a new name per request past the cap (a
// test with an id in every URL): the overflow row's path.
func BenchmarkRecordOverflow(b *testing.B) {
	s := New(t0, Options{Shards: 1, MaxNames: 100})
	sh := s.Shard(0)
	ns := names(10_000)
	for _, name := range ns[:100] {
		sh.Record("GET", name, time.Millisecond, 512, "")
	}
	b.ReportAllocs()
	i := 100
	for b.Loop() {
		sh.Record("GET", ns[i], time.Millisecond, 512, "")
		if i++; i == len(ns) {
			i = 100
		}
	}
}
